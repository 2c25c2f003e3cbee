"""One canonical input mapped onto each model's own fields, by role: what compare() sends.

Models name the same idea differently (``image_url`` / ``image_urls`` / ``image``, ``image_size``
/ ``aspect_ratio``, ``num_images``, ``duration`` as ``"5"`` or ``5``). The canonical keys are
:data:`CANONICAL`; each has one mapper in :data:`MAPPERS` (a registry: add a key by adding a
function) that finds the field by the schema layer's roles and media (``_roles``) and converts
the value to that field's shape, or returns ``None`` when the model has no such field.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from fractions import Fraction
from typing import Any

from falwidgets.schema._field import MISSING, FieldSpec

CANONICAL = (
    "prompt",
    "negative_prompt",
    "image",
    "images",
    "image_size",
    "aspect_ratio",
    "seed",
    "num_images",
    "duration",
)

# fal's ImageSize presets, as (width, height)
SIZE_PRESETS: dict[str, tuple[int, int]] = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}
NEGATIVE_NAMES = ("negative_prompt", "neg_prompt", "negative")
COUNT_NAMES = ("num_images", "num_outputs", "num_samples", "batch_size", "n")
DURATION_NAMES = ("duration", "duration_seconds", "video_duration", "seconds")

Mapper = Callable[[FieldSpec, Any], "tuple[str, Any] | None"]


@dataclass
class Mapped:
    """The arguments for one model: ``arguments`` to send, ``used`` canonical key -> field,
    ``dropped`` canonical keys this model has no field for, ``missing`` required fields that no
    canonical key (nor a default) fills."""

    endpoint_id: str
    arguments: dict[str, Any] = field(default_factory=dict)
    used: dict[str, str] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)


def _props(root: FieldSpec) -> list[FieldSpec]:
    return [p for p in root.properties if not p.hidden and not p.deprecated]


def _named(root: FieldSpec, names: tuple[str, ...], kinds: tuple[str, ...]) -> FieldSpec | None:
    by_name = {p.name: p for p in _props(root)}
    for name in names:
        spec = by_name.get(name)
        if spec is not None and _base_kind(spec) in kinds:
            return spec
    return None


def _base_kind(spec: FieldSpec) -> str:
    """The kind under a ``X | null`` union."""
    if spec.kind == "union" and len(spec.variants) == 1:
        return spec.variants[0].kind
    return spec.kind


def _choices(spec: FieldSpec) -> tuple[Any, ...]:
    if spec.enum:
        return spec.enum
    for variant in spec.variants:
        if variant.enum:
            return variant.enum
    return ()


def _prompt(root: FieldSpec, value: Any) -> tuple[str, Any] | None:
    prompts = [p for p in _props(root) if p.role == "prompt" and p.name not in NEGATIVE_NAMES]
    best = next((p for p in prompts if p.name == "prompt"), prompts[0] if prompts else None)
    return (best.name, str(value)) if best else None


def _negative(root: FieldSpec, value: Any) -> tuple[str, Any] | None:
    spec = _named(root, NEGATIVE_NAMES, ("string",))
    return (spec.name, str(value)) if spec else None


def _image_fields(root: FieldSpec) -> tuple[FieldSpec | None, FieldSpec | None]:
    single = many = None
    for p in _props(root):
        if p.role == "file" and p.media == "image":
            if p.kind == "array":
                many = many or p
            else:
                single = single or p
    return single, many


def _image(root: FieldSpec, value: Any) -> tuple[str, Any] | None:
    single, many = _image_fields(root)
    if single is not None:
        return single.name, value
    return (many.name, [value]) if many is not None else None


def _images(root: FieldSpec, value: Any) -> tuple[str, Any] | None:
    urls = list(value) if isinstance(value, (list, tuple)) else [value]
    single, many = _image_fields(root)
    if many is not None:
        return many.name, urls
    return (single.name, urls[0]) if single is not None and urls else None


def _ratio(width: int, height: int) -> Fraction:
    return Fraction(width, height)


def _parse_ratio(text: str) -> Fraction | None:
    try:
        a, b = str(text).split(":")
        return Fraction(int(a), int(b))
    except (ValueError, ZeroDivisionError):
        return None


def _size_of(value: Any) -> tuple[int, int] | None:
    if isinstance(value, str):
        return SIZE_PRESETS.get(value)
    if isinstance(value, Mapping):
        try:
            return int(value["width"]), int(value["height"])
        except (KeyError, TypeError, ValueError):
            return None
    return None


def _nearest_ratio(choices: tuple[Any, ...], target: Fraction) -> Any:
    parsed: list[tuple[Any, Fraction]] = []
    for choice in choices:
        ratio = _parse_ratio(choice)
        if ratio is not None:
            parsed.append((choice, ratio))
    if not parsed:
        return None
    return min(parsed, key=lambda item: abs(float(item[1]) - float(target)))[0]


def _aspect_field(root: FieldSpec) -> FieldSpec | None:
    return _named(root, ("aspect_ratio",), ("enum", "string"))


def _size_field(root: FieldSpec) -> FieldSpec | None:
    return next((p for p in _props(root) if p.role == "image_size"), None)


def _image_size(root: FieldSpec, value: Any) -> tuple[str, Any] | None:
    size = _size_of(value)
    target = _size_field(root)
    if target is not None:
        if isinstance(value, str) and value not in _choices(target) and size is not None:
            value = {"width": size[0], "height": size[1]}
        return target.name, value
    aspect = _aspect_field(root)
    if aspect is not None and size is not None:
        choice = _nearest_ratio(_choices(aspect), _ratio(*size))
        return (aspect.name, choice) if choice is not None else None
    return None


def _aspect_ratio(root: FieldSpec, value: Any) -> tuple[str, Any] | None:
    aspect = _aspect_field(root)
    wanted = _parse_ratio(value)
    if aspect is not None:
        choices = _choices(aspect)
        if not choices or value in choices:
            return aspect.name, value
        choice = _nearest_ratio(choices, wanted) if wanted is not None else None
        return (aspect.name, choice) if choice is not None else None
    target = _size_field(root)
    if target is not None and wanted is not None:
        presets = [p for p in _choices(target) if p in SIZE_PRESETS] or list(SIZE_PRESETS)
        best = min(presets, key=lambda p: abs(float(_ratio(*SIZE_PRESETS[p]) - wanted)))
        return target.name, best
    return None


def _seed(root: FieldSpec, value: Any) -> tuple[str, Any] | None:
    spec = next((p for p in _props(root) if p.role == "seed"), None)
    return (spec.name, int(value)) if spec else None


def _count(root: FieldSpec, value: Any) -> tuple[str, Any] | None:
    spec = _named(root, COUNT_NAMES, ("integer",))
    if spec is None:
        return None
    count = int(value)
    if spec.maximum is not None:
        count = min(count, int(spec.maximum))
    return spec.name, count


def _duration(root: FieldSpec, value: Any) -> tuple[str, Any] | None:
    spec = _named(root, DURATION_NAMES, ("enum", "string", "integer", "number"))
    if spec is None:
        return None
    seconds = float(str(value).rstrip("s"))
    choices = _choices(spec)
    if choices:

        def distance(choice: Any) -> float:
            try:
                return abs(float(str(choice).rstrip("s")) - seconds)
            except ValueError:
                return float("inf")

        return spec.name, min(choices, key=distance)
    kind = _base_kind(spec)
    if kind == "integer":
        return spec.name, round(seconds)
    if kind == "string":
        return spec.name, f"{seconds:g}"
    return spec.name, seconds


MAPPERS: dict[str, Mapper] = {
    "prompt": _prompt,
    "negative_prompt": _negative,
    "image": _image,
    "images": _images,
    "image_size": _image_size,
    "aspect_ratio": _aspect_ratio,
    "seed": _seed,
    "num_images": _count,
    "duration": _duration,
}


def map_inputs(endpoint_id: str, root: FieldSpec | None, canonical: Mapping[str, Any]) -> Mapped:
    """``canonical`` (keys from :data:`CANONICAL`) as arguments for the model whose input is
    ``root``; unknown keys are an error naming the known ones."""
    unknown = [k for k in canonical if k not in MAPPERS]
    if unknown:
        raise ValueError(f"unknown canonical input {unknown[0]!r}; use {', '.join(CANONICAL)}")
    mapped = Mapped(endpoint_id)
    if root is None:
        mapped.dropped = [k for k, v in canonical.items() if v is not None]
        return mapped
    for key, value in canonical.items():
        if value is None:
            continue
        hit = MAPPERS[key](root, value)
        if hit is None or hit[0] in mapped.arguments:
            mapped.dropped.append(key)
            continue
        mapped.arguments[hit[0]] = hit[1]
        mapped.used[key] = hit[0]
    mapped.missing = [
        p.name
        for p in root.properties
        if p.required and p.default is MISSING and p.name not in mapped.arguments
    ]
    return mapped
