"""Find media in an output by its SHAPE, never by schema name.

fal returns files as ``{url, content_type, file_name, file_size}`` objects (``Image`` adds width
and height) under dozens of schema names, and sometimes as plain ``*_url`` strings; see
form-conventions.md "Outputs". A value is media when it is such an object (or a URL string) and
its kind can be told from the content type, the URL's extension, or the field's name (the tables
live in ``falwidgets._media``, shared with the form and the history).
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any
from urllib.parse import unquote, urlsplit

from falwidgets._media import EXTENSIONS, NAME_HINTS, MediaKind, kind_of
from falwidgets.previews._safety import safe_url

__all__ = ["EXTENSIONS", "NAME_HINTS", "MediaKind", "MediaRef", "as_media", "find_media", "kind_of"]

# FieldSpec.media -> kind
_SPEC_MEDIA: dict[str, MediaKind] = {
    "image": "image",
    "mask": "image",
    "video": "video",
    "audio": "audio",
    "model3d": "model3d",
    "file": "file",
}

# something that claims to be a URL (so a refused one is shown as blocked, not as JSON)
_SCHEME = re.compile(r"\s*[a-z][a-z0-9+.\-]*\s*:", re.IGNORECASE)

_FILE_KEYS = frozenset({"content_type", "file_name", "file_size"})


@dataclass(frozen=True)
class MediaRef:
    """One file in an output. ``url`` is None when the given URL is not safe to render."""

    kind: MediaKind
    url: str | None
    raw_url: str
    content_type: str = ""
    file_name: str = ""
    file_size: int | None = None
    width: int | None = None
    height: int | None = None

    @property
    def is_data(self) -> bool:
        return self.raw_url[:5].lower() == "data:"

    @property
    def display_name(self) -> str:
        """A short name for links: the file name, else the URL's last path segment."""
        if self.file_name:
            return self.file_name
        if self.is_data:
            return f"{self.kind} ({self.content_type or 'data'})"
        return posixpath.basename(unquote(urlsplit(self.raw_url).path)) or self.raw_url[:60]


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def as_media(value: Any, name: str = "", spec_media: str | None = None) -> MediaRef | None:
    """A `MediaRef` if ``value`` is a file object or a media URL string, else None.

    ``name`` is the field the value sits under (for a list item, the list's field) and
    ``spec_media`` the output spec's ``media`` for it; both only break ties when the URL says
    nothing. A file object whose kind cannot be told at all is still a ``"file"`` (download link)
    when it has the File keys (``content_type``/``file_name``/``file_size``).
    """
    if isinstance(value, str):
        is_url_field = name.endswith(("_url", "_urls")) or name in ("url", "urls")
        if safe_url(value) is None and not (is_url_field and _SCHEME.match(value)):
            return None  # an ordinary string, or a hostile one outside a URL field: JSON
        if not (value[:5].lower() == "data:" or "://" in value or is_url_field):
            return None
        kind = kind_of(value, hint=name) or _SPEC_MEDIA.get(spec_media or "")
        if kind is None:
            if not is_url_field:
                return None
            kind = "file"
        return MediaRef(kind=kind, url=safe_url(value), raw_url=value)
    if not isinstance(value, Mapping):
        return None
    url = value.get("url")
    if not isinstance(url, str) or not url:
        return None
    content_type = value.get("content_type")
    content_type = content_type if isinstance(content_type, str) else ""
    file_name = value.get("file_name")
    file_name = file_name if isinstance(file_name, str) else ""
    kind = kind_of(url, content_type, file_name, hint=name or None) or _SPEC_MEDIA.get(
        spec_media or ""
    )
    if kind is None:
        if not (_FILE_KEYS & value.keys()):
            return None  # {url, title, ...} is a link in some JSON, not a file
        kind = "file"
    return MediaRef(
        kind=kind,
        url=safe_url(url),
        raw_url=url,
        content_type=content_type,
        file_name=file_name,
        file_size=_int(value.get("file_size")),
        width=_int(value.get("width")),
        height=_int(value.get("height")),
    )


def find_media(output: Any, *, max_depth: int = 8) -> Iterator[MediaRef]:
    """Every file in ``output`` in output order (depth first), as `as_media` sees it.

    The one walk for "what media does this output hold": the history's thumbnails and the sweep's
    cells use it; a value that is media is not searched further (a file's own ``url`` is not a
    second file).
    """

    def walk(value: Any, name: str, depth: int) -> Iterator[MediaRef]:
        if depth > max_depth:
            return
        found = as_media(value, name)
        if found is not None:
            yield found
            return
        if isinstance(value, Mapping):
            for key, item in value.items():
                yield from walk(item, str(key), depth + 1)
        elif isinstance(value, (list, tuple)):
            for item in value:
                yield from walk(item, name, depth + 1)

    yield from walk(output, "", 0)
