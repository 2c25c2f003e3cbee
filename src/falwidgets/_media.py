"""Media kinds by extension and content type: the one table every layer reads.

fal outputs and inputs name files under dozens of schema names; what kind of file a URL holds is
told by its content type, a ``data:`` URI's type, the URL's (or file name's) extension, and, last,
the name of the field it sits under. The previews pick a player with it, the form's file fields a
thumbnail, the history a card icon. The tables are plain dicts that users may extend, and an
extension added here reaches all of them::

    falwidgets._media.EXTENSIONS["jxl"] = "image"

Stdlib only: every layer may import this module.
"""

from __future__ import annotations

import posixpath
import re
from typing import Literal
from urllib.parse import urlsplit

__all__ = ["EXTENSIONS", "NAME_HINTS", "MediaKind", "data_mime", "extension", "kind_of"]

MediaKind = Literal["image", "video", "audio", "glb", "model3d", "file"]

# extension (lower case, no dot) -> kind; users may extend (e.g. EXTENSIONS["jxl"] = "image")
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

_DATA = re.compile(
    r"data:(?P<mime>[a-z0-9!#$&^_.+-]+/[a-z0-9!#$&^_.+-]+)"
    r"(?:;[a-z0-9_.+-]+=[a-z0-9_.+\"-]+)*(?P<b64>;base64)?,",
    re.IGNORECASE,
)


def data_mime(url: str) -> str | None:
    """The lower-cased MIME type of a ``data:`` URL, or None if it is not a well-formed one."""
    match = _DATA.match(url)
    return match.group("mime").lower() if match else None


def extension(url: str, file_name: str = "") -> str:
    """The file extension (lower case, no dot) of ``file_name``, else of the URL's path."""
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
    field-name ``hint`` (a plural name is tried singular too).
    """
    ctype = (content_type or data_mime(url) or "").lower().split(";")[0].strip()
    if ctype == "model/gltf-binary":
        return "glb"
    major = ctype.split("/")[0]
    ext = extension(url, file_name)
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
