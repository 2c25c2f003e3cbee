"""Semantic roles and media kinds: what fal's Playground infers from names, refs and `ui` keys.

Done once here so that widgets need no name heuristics. The type is checked before any suffix rule:
in the real corpus `return_byteplus_urls` is a boolean and one `video_url` is a `Video` object.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from falwidgets.schema._field import FieldSpec, Media, Role

# fal `ui.field` / `_fal_ui_field` value -> media kind
UI_MEDIA: dict[str, Media] = {
    "image": "image",
    "video": "video",
    "audio": "audio",
    "file": "file",
    "image_mask": "mask",
    "mask": "mask",
    "model": "model3d",
    "model3d": "model3d",
    "url": "file",
}

# name suffix (after dropping `_url`/`_urls`) -> media kind; first match wins, most specific first
NAME_MEDIA: tuple[tuple[str, Media], ...] = (
    ("mask_image", "mask"),
    ("mask", "mask"),
    ("image", "image"),
    ("images", "image"),
    ("face", "image"),
    ("photo", "image"),
    ("video", "video"),
    ("videos", "video"),
    ("audio", "audio"),
    ("audios", "audio"),
    ("voice", "audio"),
    ("speech", "audio"),
    ("music", "audio"),
    ("model", "model3d"),
    ("mesh", "model3d"),
    ("glb", "model3d"),
)

_FILE_OBJECT_KEYS = frozenset({"url", "content_type"})


def media_from_name(name: str) -> Media:
    stem = name.lower()
    for suffix in ("_urls", "_url", "_uris", "_uri"):
        if stem.endswith(suffix):
            stem = stem[: -len(suffix)]
            break
    for suffix, media in NAME_MEDIA:
        if stem == suffix or stem.endswith("_" + suffix):
            return media
    return "file"


def media_from_ref(ref: str | None) -> Media | None:
    """`Image`, `ImageFile`, `VideoFile`, `registry__..__Image`, `AudioType2`, ... -> media."""
    if not ref:
        return None
    low = ref.lower().rsplit("__", 1)[-1]
    for word, media in (("image", "image"), ("video", "video"), ("audio", "audio")):
        if low.startswith(word):
            return media  # type: ignore[return-value]
    if low.startswith("file"):
        return "file"
    return None


def is_file_object(spec: FieldSpec) -> bool:
    """fal's File/Image/Video/Audio objects: an object with a `url` (and usually `content_type`)."""
    if spec.kind != "object":
        return False
    names = {p.name for p in spec.properties}
    return "url" in names and (bool(names & (_FILE_OBJECT_KEYS - {"url"})) or spec.ref is not None)


def _looks_like_json(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    text = value.strip()
    if not text or text[0] not in "[{":
        return False
    try:
        json.loads(text)
    except ValueError:
        return False
    return True


def detect(spec: FieldSpec, ui_field: str | None) -> tuple[Role | None, Media | None]:
    """The role and media of a converted spec (called bottom-up, so children are already done)."""
    name = spec.name.lower()
    kind = spec.kind
    ui_media = UI_MEDIA.get(ui_field) if ui_field else None
    if ui_field == "textarea" and kind == "string":
        return "prompt", None
    if ui_field == "seed" and kind == "integer":
        return "seed", None
    if kind == "string":
        if ui_media is not None:
            return "file", ui_media
        if (
            spec.format == "binary"
            or name.endswith(("_url", "_uri", "_urls"))
            or name in ("url", "uri")
        ):
            return "file", media_from_name(name) if name not in ("url", "uri") else "file"
        if name == "prompt" or name.endswith("_prompt") or name == "text_prompt":
            return "prompt", None
        if (
            spec.format == "json"
            or spec.schema.get("contentMediaType") == "application/json"
            or _looks_like_json(spec.schema.get("default"))
            or any(_looks_like_json(e) for e in spec.examples[:1])
        ):
            return "json", None
        return None, None
    if kind == "integer" and (name == "seed" or name.endswith("_seed")):
        return "seed", None
    if kind == "array" and spec.items is not None and spec.items.role == "file":
        return "file", spec.items.media
    if kind == "object":
        names = {p.name for p in spec.properties}
        ref = (spec.ref or "").lower()
        if ref.startswith("rgbcolor") or (
            names == {"r", "g", "b"} and all(p.kind == "integer" for p in spec.properties)
        ):
            return "color", None
        if ref.startswith("imagesize") and {"width", "height"} <= names:
            return "image_size", None
        if is_file_object(spec):
            media = ui_media or media_from_ref(spec.ref) or media_from_name(name)
            return "file", media
    if kind == "union":
        objs = [v for v in spec.variants if v.kind == "object"]
        enums = [v for v in spec.variants if v.kind in ("enum", "const", "string")]
        if (
            objs
            and enums
            and any({"width", "height"} <= {p.name for p in o.properties} for o in objs)
        ):
            return "image_size", None
        files = [v for v in spec.variants if v.role == "file"]
        if files and len(files) == len(spec.variants):
            return "file", ui_media or files[0].media
    if ui_media is not None and kind in ("array", "union", "any"):
        return "file", ui_media
    return None, None


def hints_of(node: Mapping[str, Any]) -> dict[str, Any]:
    """fal's display hints from `ui`, `_fal_ui_field`, `x-fal` and loose keys, flattened."""
    hints: dict[str, Any] = {}
    xfal = node.get("x-fal")
    if isinstance(xfal, Mapping):
        hints.update(xfal)
    for key in LOOSE_HINT_KEYS:
        if key in node:
            hints[key] = node[key]
    ui = node.get("ui")
    if isinstance(ui, Mapping):
        hints.update(ui)
    field = node.get("_fal_ui_field")
    if isinstance(field, str):
        hints.setdefault("field", field)
    return hints


LOOSE_HINT_KEYS = (
    "limit_description",
    "max_file_size",
    "step",
    "ge",
    "le",
    "min",
    "max",
    "max_pixels",
    "max_width",
    "max_height",
    "min_width",
    "min_height",
)
