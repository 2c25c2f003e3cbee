"""The runner's small display parts: status line, live log pane and error banner.

Each is one ``HTML`` widget with a stable CSS class (tests and users select on it). Everything that
came from a server is escaped here, in one place, before it becomes HTML.
"""

from __future__ import annotations

import html
from collections.abc import Iterable, Mapping
from typing import Any

import ipywidgets as w

from falwidgets.previews import esc

MAX_LOG_LINES = 300  # the pane keeps the tail: logs never bloat the saved notebook
LOG_LINE_PX = 18  # px per line; the box is a whole number of lines so no line is cut in half
LOG_VISIBLE_LINES = 8
# a scrolling tail, not a wall of step lines; column-reverse keeps the scroll at the newest line.
# Font size and line height in px (not em): a themed `pre` font would otherwise change the line
# height and cut the top line in half; no vertical padding inside the scroller for the same reason
LOG_SCROLL_STYLE = (
    f"max-height:{LOG_LINE_PX * LOG_VISIBLE_LINES}px;overflow-y:auto;display:flex;"
    "flex-direction:column-reverse;padding:0 8px"
)
# flex:none: the lines never shrink into the box (a themed `pre{overflow:auto}` would make them
# their own scroller, stuck at the top); the box overflows and stays anchored at the bottom
LOG_LINES_STYLE = (
    f"flex:none;overflow:visible;margin:0;padding:0;font-size:12px;line-height:{LOG_LINE_PX}px;"
    "white-space:pre-wrap"
)
LOG_FRAME_STYLE = "border:1px solid #ccc;border-radius:4px;margin:4px 0;padding:2px 0"
LOG_SUMMARY_STYLE = "cursor:pointer;font-size:12px;color:#555;padding:0 8px;user-select:none"
ID_STYLE = "font-size:11px;color:#888;margin-left:8px;white-space:nowrap"
SHORT_ID = 8  # characters of a request id shown; the full id is the tooltip


def log_message(entry: Any) -> str:
    """The text of one fal log entry (dict or object); every field but ``message`` is optional."""
    if isinstance(entry, Mapping):
        return str(entry.get("message", ""))
    return str(getattr(entry, "message", entry))


def request_id_html(request_id: str | None, state: str = "") -> str:
    """A short, muted, unwrapped request id with the full id as tooltip ("" when there is none,
    "not submitted" when a run ended without ever reaching the server)."""
    if not request_id:
        if state in {"failed", "cancelled"}:
            cls = "fw-request-id fw-not-submitted"
            return f'<span class="{cls}" style="{ID_STYLE}">not submitted</span>'
        return ""
    rid = str(request_id)
    short = rid if len(rid) <= SHORT_ID + 1 else rid[:SHORT_ID] + "…"
    return (
        f'<span class="fw-request-id" title="request id {esc(rid)}" style="{ID_STYLE}">'
        f"{esc(short)}</span>"
    )


class StatusLine(w.HTML):
    """One line: queued with position, running with elapsed time, done with inference time."""

    def __init__(self) -> None:
        super().__init__(value="")
        self.add_class("fw-status")
        self.state = "idle"
        self.request_id: str | None = None

    def show(self, state: str, text: str, request_id: str | None = None) -> None:
        """One unwrapped line; the request id shortened (full id on hover), or "not submitted"
        when a run ended before the server gave it one (a client-side failure)."""
        self.state = state
        self.request_id = request_id
        self.value = (
            '<span class="fw-status-line" style="white-space:nowrap">'
            f'<span class="fw-state fw-state-{esc(state)}">{esc(text)}</span>'
            f" {request_id_html(request_id, state)}</span>"
        )

    @property
    def text(self) -> str:
        """The plain text shown (for scripts and tests)."""
        import re

        return html.unescape(re.sub(r"<[^>]+>", "", self.value))


class LogPane(w.HTML):
    """Live logs, appended as they arrive, escaped, capped to the last ``MAX_LOG_LINES`` lines.

    A framed, labelled ``<details>``: open while the run runs, collapsed (one "Logs" line the
    user can expand) once it is done. The lines sit in a scrolling box whose
    ``flex-direction: column-reverse`` anchors the scroll at the bottom, so the newest line stays
    in view as lines arrive (an HTML widget runs no script that could scroll it), while the user
    can still scroll up to read older lines.
    """

    def __init__(self) -> None:
        super().__init__(value="")
        self.add_class("fw-logs")
        self.lines: list[str] = []
        self.open = True
        self.layout.display = "none"

    def clear(self) -> None:
        self.lines = []
        self.open = True
        self.value = ""
        self.layout.display = "none"

    def extend(self, entries: Iterable[Any]) -> int:
        """Append new log entries (the client hands out each line once); returns how many."""
        new = [log_message(entry) for entry in entries or ()]
        if new:
            self.lines.extend(new)
            del self.lines[:-MAX_LOG_LINES]
            self.open = True
            self._render()
        return len(new)

    def collapse(self) -> None:
        """Fold the pane to its label once the run is done (the result matters more now)."""
        self.open = False
        if self.lines:
            self._render()

    def _render(self) -> None:
        body = "\n".join(esc(line) for line in self.lines)
        n = len(self.lines)
        self.value = (
            f'<details class="fw-log-frame" style="{LOG_FRAME_STYLE}"{" open" * self.open}>'
            f'<summary class="fw-log-label" style="{LOG_SUMMARY_STYLE}">'
            f"Logs · {n} line{'s' * (n != 1)}</summary>"
            f'<div class="fw-log-scroll" style="{LOG_SCROLL_STYLE}">'
            f'<pre class="fw-log-lines" style="{LOG_LINES_STYLE}">'
            f"{body}</pre></div></details>"
        )
        self.layout.display = None


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
