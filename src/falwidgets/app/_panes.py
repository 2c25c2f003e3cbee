"""The runner's small display parts: status line, live log pane and error banner.

Each is one ``HTML`` widget with a stable CSS class (tests and users select on it). Everything that
came from a server is escaped here, in one place, before it becomes HTML.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import ipywidgets as w

MAX_LOG_LINES = 300  # the pane keeps the tail: logs never bloat the saved notebook
# a scrolling tail, not a wall of step lines; column-reverse keeps the scroll at the newest line
LOG_SCROLL_STYLE = "max-height:10em;overflow-y:auto;display:flex;flex-direction:column-reverse"
# flex:none: the lines never shrink into the box (a themed `pre{overflow:auto}` would make them
# their own scroller, stuck at the top); the box overflows and stays anchored at the bottom
LOG_LINES_STYLE = "flex:none;overflow:visible;margin:0;line-height:1.35;white-space:pre-wrap"


def esc(text: Any) -> str:
    """HTML-escape any value's text (quotes included: it may land in an attribute)."""
    return html.escape(str(text), quote=True)


def log_message(entry: Any) -> str:
    """The text of one fal log entry (dict or object); every field but ``message`` is optional."""
    if isinstance(entry, Mapping):
        return str(entry.get("message", ""))
    return str(getattr(entry, "message", entry))


class StatusLine(w.HTML):
    """One line: queued with position, running with elapsed time, done with inference time."""

    def __init__(self) -> None:
        super().__init__(value="")
        self.add_class("fw-status")
        self.state = "idle"

    def show(self, state: str, text: str, request_id: str | None = None) -> None:
        self.state = state
        rid = f' <span class="fw-request-id">{esc(request_id)}</span>' if request_id else ""
        self.value = f'<span class="fw-state fw-state-{esc(state)}">{esc(text)}</span>{rid}'

    @property
    def text(self) -> str:
        """The plain text shown (for scripts and tests)."""
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", self.value))


class LogPane(w.HTML):
    """Live logs, appended as they arrive, escaped, capped to the last ``MAX_LOG_LINES`` lines.

    The lines sit in a scrolling box whose ``flex-direction: column-reverse`` anchors the scroll
    at the bottom, so the newest line stays in view as lines arrive and whenever the value is
    replaced (an HTML widget runs no script that could scroll it), while the user can still
    scroll up to read older lines.
    """

    def __init__(self) -> None:
        super().__init__(value="")
        self.add_class("fw-logs")
        self.lines: list[str] = []
        self.layout.display = "none"

    def clear(self) -> None:
        self.lines = []
        self.value = ""
        self.layout.display = "none"

    def extend(self, entries: Iterable[Any]) -> int:
        """Append new log entries (the client hands out each line once); returns how many."""
        new = [log_message(entry) for entry in entries or ()]
        if new:
            self.lines.extend(new)
            del self.lines[:-MAX_LOG_LINES]
            body = "\n".join(esc(line) for line in self.lines)
            self.value = (
                f'<div class="fw-log-scroll" style="{LOG_SCROLL_STYLE}">'
                f'<pre class="fw-log-lines" style="{LOG_LINES_STYLE}">'
                f"{body}</pre></div>"
            )
            self.layout.display = None
        return len(new)


class Banner(w.HTML):
    """A clear error message with the request id; hidden while there is nothing to say."""

    def __init__(self) -> None:
        super().__init__(value="")
        self.add_class("fw-banner")
        self.message = ""
        self.layout.display = "none"

    def show(self, title: str, detail: str = "", request_id: str | None = None) -> None:
        self.message = f"{title}: {detail}" if detail else title
        rid = (
            f'<div class="fw-banner-rid">request id <code>{esc(request_id)}</code></div>'
            if request_id
            else ""
        )
        self.value = (
            '<div class="fw-banner-box" style="border-left:4px solid #c62828;background:#fdecea;'
            f'padding:6px 10px"><b>{esc(title)}</b>'
            f"{': ' + esc(detail) if detail else ''}{rid}</div>"
        )
        self.layout.display = None

    def clear(self) -> None:
        self.message = ""
        self.value = ""
        self.layout.display = "none"
