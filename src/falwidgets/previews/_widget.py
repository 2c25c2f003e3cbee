"""`Preview`: the anywidget of ``falwidgets.preview(output)``: one model, drawn in the browser.

Python describes the result (`describe`: JSON blocks with safe URLs); ``js/src/preview`` draws them
with the shared result renderer (the same one the app's result pane uses), so a preview looks the
same in JupyterLab, marimo, VS Code and Colab, light or dark. A GLB viewer or a widget returned by
a user's `register_preview` factory is a child model, drawn by composition and closed with the
preview.
"""

from __future__ import annotations

from typing import Any

import anywidget
import traitlets

from falwidgets._static import bundle
from falwidgets.previews._describe import block_kinds, describe, describe_stream

__all__ = ["Preview", "preview", "shared_layout"]

_layout: list[Any] = []


def shared_layout() -> Any:
    """One ``Layout`` model for every falwidgets anywidget (recreated if someone closed it).

    Each DOMWidget otherwise brings its own Layout model: two models per view in a saved
    notebook instead of one. Style through the front end's CSS, never through ``.layout``.
    """
    from ipywidgets import Layout

    if not _layout or _layout[0].comm is None:
        _layout[:] = [Layout()]
    return _layout[0]


class Preview(anywidget.AnyWidget):
    """A result drawn in the browser; ``update(output)`` replaces it, ``blocks`` is what shows."""

    _esm = bundle("preview")
    _css = bundle("preview", "css")
    blocks: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    kinds = traitlets.Dict().tag(sync=True)

    def __init__(
        self, output: Any = None, *, spec: Any = None, inputs: Any = None, **kwargs: Any
    ) -> None:
        kwargs.setdefault("layout", shared_layout())
        super().__init__(**kwargs)
        self.inputs = inputs
        _ = self.add_class("fw-preview")
        self.spec = spec
        self.output: Any = None
        self.children: list[Any] = []  # child widgets (GLB viewers...) the blocks refer to
        self.update(output)

    def update(self, output: Any, *, spec: Any = None, inputs: Any = None) -> Preview:
        """Show ``output`` instead of what was shown; the old child widgets are closed."""
        if spec is not None:
            self.spec = spec
        if inputs is not None:
            self.inputs = inputs
        kept: list[Any] = []
        blocks = describe(output, spec=self.spec, widgets=kept, inputs=self.inputs)
        self._swap(kept, blocks)
        self.output = output
        return self

    def stream(self, partial: Any, *, step: int, total: int | None = None) -> Preview:
        """Show one streamed partial result in place of the previous one ("step 3/8")."""
        self._swap([], describe_stream(partial, step=step, total=total, spec=self.spec))
        self.output = partial
        return self

    def _swap(self, children: list[Any], blocks: list[dict[str, Any]]) -> None:
        old, self.children = self.children, children
        self.kinds = block_kinds(blocks)
        self.blocks = blocks
        for child in old:
            child.close()

    def close(self) -> None:
        for child in getattr(self, "children", ()):
            child.close()
        self.children = []
        super().close()

    def __repr__(self) -> str:
        kinds = ", ".join(b["kind"] for b in self.blocks) or "empty"
        return f"<Preview: {kinds}>"


def preview(output: Any, *, spec: Any = None, inputs: Any = None) -> Preview:
    """A widget showing ``output``: media inline by URL, detections over their image, chips, JSON.

    ``output`` is any result (dict, list, Pydantic model, a URL string). ``spec`` is the output
    `FieldSpec` (or the `EndpointSchema`), used for labels and to tell the media kind of URLs that
    carry neither a content type nor an extension. ``inputs`` (the request's arguments) name
    unlabelled detection boxes after the class asked for. Extend it with `register_preview`.
    """
    return Preview(output, spec=spec, inputs=inputs)
