"""A read-only view of one journal entry, with what a history card needs (thumbnail, time, state).

The journal belongs to the client layer and its entries are frozen ``JournalEntry`` records; this
view adds what the runner derives from one: its time as a datetime, the input fields whose upload
the journal did not keep, and the first image or other media of its output.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from falwidgets.client import JournalEntry
from falwidgets.previews import find_media, safe_url

# what the journal keeps instead of a data URI over 64 KB (client/_journal.py ``shrink``)
OMITTED = re.compile(r"<data:[^<>]{0,200} omitted: \d+ chars>")


def has_omitted(value: Any, depth: int = 0) -> bool:
    """Whether ``value`` holds a journal marker where an uploaded data URI used to be."""
    if depth > 20:
        return False
    if isinstance(value, str):
        return OMITTED.fullmatch(value) is not None
    if isinstance(value, Mapping):
        return any(has_omitted(v, depth + 1) for v in value.values())
    if isinstance(value, (list, tuple)):
        return any(has_omitted(v, depth + 1) for v in value)
    return False


def without_omitted(arguments: Mapping[str, Any]) -> dict[str, Any]:
    """``arguments`` minus what cannot be sent again: a field that is a marker (or an object
    holding one) is left out, and markers are dropped from lists of files."""
    out: dict[str, Any] = {}
    for name, value in arguments.items():
        if isinstance(value, list) and has_omitted(value):
            kept = [item for item in value if not has_omitted(item)]
            if kept:
                out[name] = kept
        elif not has_omitted(value):
            out[name] = value
    return out


def first_image(output: Any) -> str | None:
    """The first image URL in an output that may go in an ``<img src>`` (a thumbnail)."""
    return next((m.url for m in find_media(output) if m.kind == "image" and m.url), None)


def first_media(output: Any) -> tuple[str, str] | None:
    """``(kind, url)`` of the first video, audio or 3D file in an output (GLB counts as 3D)."""
    for media in find_media(output):
        if media.kind in ("video", "audio", "glb", "model3d"):
            kind = "model3d" if media.kind == "glb" else media.kind
            return kind, media.url or media.raw_url
    return None


def safe_src(url: str | None) -> str | None:
    """``url`` if it may go in an ``src``: http(s) or a media data URI (else ``None``)."""
    return safe_url(url)


@dataclass(frozen=True)
class EntryView:
    """The parts of a journal entry the history shows and reuses."""

    raw: JournalEntry
    request_id: str
    endpoint: str
    status: str
    arguments: dict[str, Any]
    output: Any
    error: str | None
    created: dt.datetime | None
    metrics: dict[str, Any]

    @classmethod
    def of(cls, entry: JournalEntry) -> EntryView:
        return cls(
            raw=entry,
            request_id=entry.request_id,
            endpoint=entry.endpoint,
            status=entry.status,
            arguments=dict(entry.arguments or {}),
            output=entry.result,
            error=entry.error or None,
            created=dt.datetime.fromtimestamp(entry.created, dt.timezone.utc),
            metrics=dict(entry.metrics or {}),
        )

    @property
    def base(self) -> str:
        """The queue base URL the entry was recorded against."""
        return self.raw.base

    @property
    def final(self) -> bool:
        """Whether the run reached an end state (otherwise it was in flight and can resume)."""
        return self.raw.done or self.output is not None

    @property
    def omitted(self) -> list[str]:
        """Input fields whose uploaded file (a large data URI) the journal did not keep."""
        return [name for name, value in self.arguments.items() if has_omitted(value)]

    @property
    def thumbnail(self) -> str | None:
        return first_image(self.output)

    def when_text(self, now: dt.datetime | None = None) -> str:
        if self.created is None:
            return ""
        now = now or dt.datetime.now(dt.timezone.utc)
        seconds = (now - self.created).total_seconds()
        if seconds < 60:
            return "just now"
        if seconds < 3600:
            return f"{int(seconds // 60)} min ago"
        if seconds < 86400:
            return f"{int(seconds // 3600)} h ago"
        return self.created.astimezone().strftime("%Y-%m-%d %H:%M")
