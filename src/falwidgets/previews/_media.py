"""Find media in an output by its SHAPE, never by schema name.

fal returns files as ``{url, content_type, file_name, file_size}`` objects (``Image`` adds width
and height) under dozens of schema names, and sometimes as plain ``*_url`` strings; see
form-conventions.md "Outputs". A value is media when it is such an object (or a URL string) and
its kind can be told from the content type, the URL's extension, or the field's name.
"""

from __future__ import annotations

import posixpath
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import unquote, urlsplit

from falwidgets.previews._safety import data_mime, safe_url

__all__ = ["EXTENSIONS", "NAME_HINTS", "MediaKind", "MediaRef", "as_media", "kind_of"]

MediaKind = Literal["image", "video", "audio", "glb", "model3d", "file"]

# extension -> kind; users may extend (e.g. EXTENSIONS["jxl"] = "image")
EXTENSIONS: dict[str, MediaKind] = {
    **dict.fromkeys(("png", "jpg", "jpeg", "webp", "gif", "bmp", "svg", "avif", "ico"), "image"),
    **dict.fromkeys(("mp4", "webm", "mov", "m4v", "ogv", "mkv"), "video"),
    **dict.fromkeys(("mp3", "wav", "ogg", "oga", "flac", "m4a", "aac", "opus", "weba"), "audio"),
    "glb": "glb",
    **dict.fromkeys(
        ("gltf", "obj", "fbx", "usdz", "usd", "stl", "blend", "ply", "3mf", "mesh", "dae", "abc"),
        "model3d",
    ),
}

# field name -> kind, for URLs that carry neither a content type nor an extension
NAME_HINTS: dict[str, MediaKind] = {
    **dict.fromkeys(("image", "images", "thumbnail", "mask", "masks", "frame", "frames"), "image"),
    **dict.fromkeys(("image_url", "thumbnail_url", "image_style_url", "mask_url"), "image"),
    **dict.fromkeys(("video", "videos", "video_url"), "video"),
    **dict.fromkeys(("audio", "audios", "audio_file", "audio_url"), "audio"),
    **dict.fromkeys(("model_glb", "glb"), "glb"),
    **dict.fromkeys(("model_mesh", "model_obj", "model_file", "mesh"), "model3d"),
}

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


def _extension(url: str, file_name: str = "") -> str:
    for candidate in (file_name, urlsplit(url).path if url[:5].lower() != "data:" else ""):
        ext = posixpath.splitext(candidate)[1].lower().lstrip(".")
        if ext:
            return ext
    return ""


def kind_of(
    url: str, content_type: str = "", file_name: str = "", hint: str | None = None
) -> MediaKind | None:
    """The media kind of a URL, or None if nothing says it is media.

    Specific content types win (``image/*``, ``video/*``, ``audio/*``, ``model/*``); generic ones
    (``application/octet-stream``, ``text/plain`` for .obj files) defer to the extension; then the
    field-name or spec hint.
    """
    ctype = (content_type or data_mime(url) or "").lower().split(";")[0].strip()
    if ctype == "model/gltf-binary":
        return "glb"
    major = ctype.split("/")[0]
    ext = _extension(url, file_name)
    if ext == "glb":
        return "glb"
    if major in ("image", "video", "audio"):
        return major  # type: ignore[return-value]
    if major == "model":
        return "model3d"
    if ext in EXTENSIONS:
        return EXTENSIONS[ext]
    if hint:
        return NAME_HINTS.get(hint) or NAME_HINTS.get(hint[:-1] if hint[-1] == "s" else hint)
    return None


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
