"""`StreamPreview`: one preview whose content is replaced as partial results arrive.

Streaming endpoints (``fal-ai/flux-krea-lora/stream``) send full-shaped outputs whose images get
sharper; each `update` re-renders into the same HTML widget, so the new image replaces the old
and the widget count stays constant however many partials arrive.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as W

from falwidgets.previews._preview import html_widget
from falwidgets.previews._walk import render

__all__ = ["StreamPreview"]


class StreamPreview(W.VBox):
    """``.update(partial)`` for each event, ``.update(output, final=True)`` for the result."""

    def __init__(self, *, spec: Any = None) -> None:
        self._html = html_widget()
        super().__init__([self._html])
        self.add_class("fw-preview")
        self.add_class("fw-stream")
        self.spec = spec
        self.count = 0
        self.final = False
        self.output: Any = None

    def update(self, partial: Any, *, final: bool = False) -> None:
        """Show ``partial``; with ``final=True`` render in full (GLB viewer included)."""
        self.count += 1
        self.output = partial
        self.final = final
        chip = (
            "" if final else f'<span class="fw-chip fw-partial"><b>partial</b> {self.count}</span>'
        )
        rendered = render(partial, spec=self.spec, allow_widgets=final, extra_chips=chip)
        segments = rendered.segments
        if len(segments) == 1 and isinstance(segments[0], str):
            self._html.value = segments[0]
            if self.children != (self._html,):
                self.children = (self._html,)
            return
        self._html.value = ""
        self.children = tuple(html_widget(s) if isinstance(s, str) else s for s in segments)
