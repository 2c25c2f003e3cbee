"""A read-only view of one journal entry, with what a history card needs (thumbnail, time, state).

The journal belongs to the client layer; this view reads its entries by attribute (or key) so the
cards do not depend on how the journal stores them.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# what the journal keeps instead of a data URI over 64 KB (client/_journal.py ``shrink``)
OMITTED = re.compile(r"<data:[^<>]{0,200} omitted: \d+ chars>")
FINAL = frozenset({"COMPLETED", "OK", "DONE", "FAILED", "ERROR", "CANCELLED", "CANCELED"})
_IMAGE_EXT = (".png", ".jpg", ".jpeg", ".webp", ".gif", ".bmp", ".avif")


def _get(entry: Any, *names: str, default: Any = None) -> Any:
    for name in names:
        value = entry.get(name) if isinstance(entry, Mapping) else getattr(entry, name, None)
        if value is not None:
            return value
    return default


def _when(value: Any) -> dt.datetime | None:
    if isinstance(value, dt.datetime):
        return value if value.tzinfo else value.replace(tzinfo=dt.timezone.utc)
    if isinstance(value, (int, float)):
        return dt.datetime.fromtimestamp(value, dt.timezone.utc)
    if isinstance(value, str):
        try:
            parsed = dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return None
        return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.timezone.utc)
    return None


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


def safe_src(url: Any) -> str | None:
    """``url`` if it may go in an ``<img src>``: http(s) or a media data URI (else ``None``)."""
    try:
        from falwidgets.previews import safe_url
    except ImportError:
        from falwidgets.previews._safety import safe_url
    return safe_url(url)


def first_image(output: Any, depth: int = 0) -> str | None:
    """The first image URL in an output (by content type or extension), for a thumbnail."""
    if depth > 6:
        return None
    if isinstance(output, Mapping):
        url, ctype = output.get("url"), str(output.get("content_type") or "")
        if isinstance(url, str):
            path = url.split("?", 1)[0].lower()
            is_image = ctype.startswith("image/") or path.endswith(_IMAGE_EXT)
            is_image = is_image or url.startswith("data:image/")
            if is_image and safe_src(url):
                return url
        for key in ("images", "image", *output.keys()):
            if key in output and key != "url":
                found = first_image(output[key], depth + 1)
                if found:
                    return found
    elif isinstance(output, list):
        for item in output[:8]:
            found = first_image(item, depth + 1)
            if found:
                return found
    return None


@dataclass(frozen=True)
class EntryView:
    """The parts of a journal entry the history shows and reuses."""

    raw: Any
    request_id: str
    endpoint: str
    status: str
    arguments: dict[str, Any]
    output: Any
    error: str | None
    created: dt.datetime | None
    metrics: dict[str, Any]

    @classmethod
    def of(cls, entry: Any) -> EntryView:
        status = _get(entry, "status", "state", default="UNKNOWN")
        error = _get(entry, "error")
        return cls(
            raw=entry,
            request_id=str(_get(entry, "request_id", "id", default="")),
            endpoint=str(_get(entry, "endpoint_id", "endpoint", "application", default="")),
            status=str(getattr(status, "value", status)).upper(),
            arguments=dict(_get(entry, "arguments", "input", "inputs", default={}) or {}),
            output=_get(entry, "result", "output", "outputs"),
            error=None if error in (None, "") else str(error),
            created=_when(_get(entry, "created_at", "submitted_at", "created", "time")),
            metrics=dict(_get(entry, "metrics", "timings", default={}) or {}),
        )

    @property
    def final(self) -> bool:
        """Whether the run reached an end state (otherwise it was in flight and can resume)."""
        return self.status in FINAL or self.output is not None

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
