"""A `FieldSpec` tree as the JSON the form front end draws (sent once, as the `spec` trait).

The front end never sees raw JSON Schema: each node names its `control` (looked up here in a
registry of `(predicate, control)` rows, first match wins, user rows first), carries human labels
for its choices and presets, and the root says which fields go up front and how "Additional
settings" is grouped (form-conventions.md part a). Pure data, no widgets: testable without a
browser.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from falwidgets.schema import MISSING, FieldSpec
from falwidgets.schema._labels import WORDS, words_of
from falwidgets.widgets._validate import local_errors

Predicate = Callable[[FieldSpec], bool]

# fal's image_size presets with their real sizes (fal-protocol.md §19.3); presets not listed here
# (auto, auto_2K ...) are sized by the model and show no width x height.
IMAGE_SIZE_PRESETS: dict[str, tuple[int, int]] = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}

UP_FRONT_NAMES = ("image_size", "video_size", "aspect_ratio", "num_images", "resolution")
"""Optional fields that fal's Playground shows up front beside the required ones."""

GROUP_AFTER = 8
""""Additional settings" longer than this are grouped (enable_x switches gate their own group)."""

MAIN_AT_LEAST = 3
"""A form whose main section would be empty shows this many of its first fields there."""


def _is_image_size(s: FieldSpec) -> bool:
    return (
        s.kind == "union"
        and any(v.kind == "enum" for v in s.variants)
        and any(v.kind == "object" for v in s.variants)
        and (s.role == "image_size" or (s.ref or "").startswith("ImageSize"))
    )


def _is_color(s: FieldSpec) -> bool:
    if s.kind != "object":
        return False
    names = {p.name for p in s.properties}
    return s.role == "color" or ((s.ref or "").startswith("RGBColor") and names == {"r", "g", "b"})


def is_file(s: FieldSpec) -> bool:
    return s.role == "file" and s.kind in ("string", "object", "any")


def is_file_list(s: FieldSpec) -> bool:
    return s.kind == "array" and s.items is not None and is_file(s.items)


def _kind(*kinds: str) -> Predicate:
    return lambda s: s.kind in kinds


@dataclass(frozen=True)
class Control:
    """One registry row: fields matching `predicate` are drawn by the JS control `name`."""

    predicate: Predicate
    name: str


CONTROLS: tuple[Control, ...] = (
    Control(lambda s: s.hidden, "hidden"),
    Control(_is_image_size, "image_size"),
    Control(_is_color, "color"),
    Control(lambda s: s.role == "seed" and s.kind in ("integer", "number"), "seed"),
    Control(is_file, "file"),
    Control(is_file_list, "files"),
    Control(lambda s: s.role == "json" and s.kind == "string", "json_string"),
    Control(
        lambda s: s.kind == "string" and (s.role == "prompt" or s.hints.get("field") == "textarea"),
        "prompt",
    ),
    Control(_kind("const"), "const"),
    Control(lambda s: s.kind == "enum" and bool(s.enum), "enum"),
    Control(_kind("boolean"), "boolean"),
    Control(_kind("integer", "number"), "number"),
    Control(_kind("string"), "text"),
    Control(lambda s: s.kind == "object" and not s.properties, "json"),
    Control(_kind("object"), "object"),
    Control(_kind("array"), "list"),
    Control(_kind("union"), "union"),
    Control(lambda s: True, "json"),
)
"""The built-in table; the JS registry (js/src/form/controls/registry.js) has a control per name."""


def control_for(spec: FieldSpec, user: tuple[Control, ...] = ()) -> str:
    for row in (*user, *CONTROLS):
        if row.predicate(spec):
            return row.name
    return "json"  # unreachable: the last row matches everything


def choice_label(value: Any) -> str:
    """A human label for an enum value: "landscape_4_3" -> "Landscape 4:3", "square_hd" ->
    "Square HD". Numbers and other values are shown as they are."""
    if not isinstance(value, str):
        return "null" if value is None else str(value)
    parts = words_of(value)
    if not parts or value.isdigit():
        return value
    shown: list[str] = []
    for word in parts:
        low = word.lower()
        if shown and low.isdigit() and re.fullmatch(r"\d+", shown[-1]):
            shown[-1] = f"{shown[-1]}:{word}"  # 4_3 -> 4:3
            continue
        shown.append(WORDS.get(low, word if not word.islower() else low))
    text = " ".join(shown)
    return text[:1].upper() + text[1:]


def _json_safe(value: Any) -> Any:
    if value is MISSING:
        return None
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_json_safe(v) for v in value]
    return str(value)


def initial_value(spec: FieldSpec) -> Any:
    """The value a fresh form holds for `spec` (`MISSING` = not sent).

    A default that breaks the field's own type (fal-ai/flowedit: `integer | null` defaulting to
    1.5) is not sent: the control cannot show it and the server applies its default anyway.
    """
    if spec.default is not MISSING:
        if spec.default is None or local_errors(spec, spec.default):
            return MISSING
        return spec.default
    if spec.kind == "const" and spec.required:
        return spec.const
    if spec.kind == "object" and spec.required and not spec.nullable and spec.properties:
        value = {p.name: initial_value(p) for p in spec.properties}
        return {k: v for k, v in value.items() if v is not MISSING}
    return MISSING


def optional(spec: FieldSpec) -> bool:
    """`X | null`, or optional with no default: the user must be able to send nothing."""
    if spec.hidden or (spec.kind == "const" and not spec.nullable):
        return False
    return spec.nullable or (not spec.required and (spec.default is None or not spec.has_default))


def _step(spec: FieldSpec) -> float | None:
    if spec.multiple_of:
        return spec.multiple_of
    return 1 if spec.kind == "integer" else None


def _numeric_union(spec: FieldSpec) -> FieldSpec:
    """`number | integer` is just a number (one slider, not a type picker), with the union's
    bounds from its branches."""
    if spec.kind != "union" or not spec.variants:
        return spec
    if not all(v.kind in ("integer", "number") for v in spec.variants):
        return spec
    first = spec.variants[0]
    kind = "integer" if all(v.kind == "integer" for v in spec.variants) else "number"
    return spec.evolve(
        kind=kind,
        variants=(),
        minimum=spec.minimum if spec.minimum is not None else first.minimum,
        maximum=spec.maximum if spec.maximum is not None else first.maximum,
        exclusive_minimum=spec.exclusive_minimum
        if spec.exclusive_minimum is not None
        else first.exclusive_minimum,
        exclusive_maximum=spec.exclusive_maximum
        if spec.exclusive_maximum is not None
        else first.exclusive_maximum,
        multiple_of=spec.multiple_of or first.multiple_of,
    )


def _label(spec: FieldSpec) -> str:
    """A field's label from its name, never a schema class name ("BadgeFile", "LoraWeight")."""
    if spec.name and spec.title and spec.title in (spec.ref, spec.ref and spec.ref.split(".")[-1]):
        from falwidgets.schema._labels import humanize

        return humanize(spec.name)
    return spec.label


def node(spec: FieldSpec, user: tuple[Control, ...] = (), path: tuple[Any, ...] = ()) -> dict:
    """The JSON of one field and its children."""
    spec = _numeric_union(spec)
    control = control_for(spec, user)
    out: dict[str, Any] = {
        "name": spec.name,
        "path": list(path),
        "label": _label(spec),
        "kind": spec.kind,
        "control": control,
        "required": spec.required,
        "optional": optional(spec),
    }
    if spec.description:
        out["description"] = spec.description
    if spec.has_default:
        out["default"] = _json_safe(spec.default)
    initial = initial_value(spec)
    if initial is not MISSING:
        out["initial"] = _json_safe(initial)
    if spec.examples:
        out["example"] = _json_safe(spec.examples[0])
    for key in ("role", "media", "format", "pattern"):
        val = getattr(spec, key)
        if val:
            out[key] = val
    bounds = {
        "min": spec.minimum,
        "max": spec.maximum,
        "xmin": spec.exclusive_minimum,
        "xmax": spec.exclusive_maximum,
        "min_length": spec.min_length,
        "max_length": spec.max_length,
        "min_items": spec.min_items,
        "max_items": spec.max_items,
    }
    out.update({k: v for k, v in bounds.items() if v is not None})
    if spec.kind in ("integer", "number"):
        step = _step(spec)
        if step is not None:
            out["step"] = step
        out["slider"] = spec.bounded
    hint = spec.hints.get("hint") or spec.hints.get("limit_description")
    if isinstance(hint, str) and hint:
        out["hint"] = hint
    if spec.kind == "enum":
        out["choices"] = [{"value": _json_safe(v), "label": choice_label(v)} for v in spec.enum]
    if spec.kind == "const":
        out["const"] = _json_safe(spec.const)
    if control == "image_size":
        presets = next((v for v in spec.variants if v.kind == "enum"), None)
        custom = next((v for v in spec.variants if v.kind == "object"), None)
        out["presets"] = [
            {
                "value": p,
                "label": choice_label(p),
                **(
                    dict(zip(("width", "height"), IMAGE_SIZE_PRESETS[p], strict=False))
                    if p in IMAGE_SIZE_PRESETS
                    else {}
                ),
            }
            for p in (presets.enum if presets else ())
        ]
        if custom is not None:
            out["custom"] = node(custom, user, path)
    elif (
        spec.kind == "object" and spec.properties and control not in ("json", "color")
    ) or control == "color":
        out["properties"] = [node(p, user, (*path, p.name)) for p in spec.properties]
    # user controls (composed widgets, ES modules) apply to fields and nested objects' fields;
    # list items and union branches use the built-in controls
    if spec.items is not None:
        out["items"] = node(spec.items, (), (*path, 0))
    if spec.variants and control != "image_size":
        out["variants"] = [
            {**node(v, (), path), "label": _variant_label(v, i)}
            for i, v in enumerate(spec.variants)
        ]
    return out


def _variant_label(spec: FieldSpec, index: int) -> str:
    if spec.kind == "object":
        return spec.label if spec.title else f"Option {index + 1}"
    if spec.kind == "enum":
        return "Choice"
    return {
        "string": "Text",
        "integer": "Integer",
        "number": "Number",
        "boolean": "Yes / no",
        "array": "List",
        "const": choice_label(spec.const),
    }.get(spec.kind, spec.kind.title())


def _rank(spec: FieldSpec, control: str) -> int:
    """Order of the fields up front: prompt, files, other required, size, count, seed."""
    if control == "prompt":
        return 0
    if control in ("file", "files"):
        return 1
    if control == "image_size" or spec.name in ("aspect_ratio", "video_size", "resolution"):
        return 3
    if spec.name == "num_images":
        return 4
    if control == "seed":
        return 5
    return 2


def _up_front(spec: FieldSpec, control: str) -> bool:
    return (
        spec.required
        or spec.important
        or control in ("prompt", "file", "files", "image_size", "seed")
        or spec.name in UP_FRONT_NAMES
    )


# Settings every kind of model has: never part of an `enable_x` section, and where one starts
# the section before it ends (flux-general's use_cfg_zero is followed by sync_mode, num_images)
GENERAL_NAMES = frozenset(
    {
        *UP_FRONT_NAMES,
        "enable_safety_checker",
        "guidance_scale",
        "negative_prompt",
        "num_inference_steps",
        "output_format",
        "safety_tolerance",
        "scheduler",
        "seed",
        "strength",
        "sync_mode",
    }
)


def _gate_prefix(spec: FieldSpec) -> str | None:
    if spec.name in GENERAL_NAMES:
        return None
    match = re.fullmatch(r"(?:enable|use|apply)_(.+)", spec.name)
    return match.group(1) if match and spec.kind == "boolean" else None


def _gates(visible: list[FieldSpec]) -> dict[str, str]:
    """Field name -> the `enable_x` switch that owns it: a switch owns the fields after it in
    schema order, up to the next switch or the next general setting (fal's post-processing:
    enable_grain, grain_scale ...)."""
    owner: dict[str, str] = {}
    current: str | None = None
    for p in visible:
        if _gate_prefix(p) is not None:
            current = p.name
        elif p.name in GENERAL_NAMES:
            current = None
        elif current is not None:
            owner[p.name] = current
    return owner


def layout(spec: FieldSpec, user: tuple[Control, ...] = ()) -> dict[str, Any]:
    """The root's sections: `main` (names, in display order) and `groups` of the settings."""
    visible = [p for p in spec.properties if not p.hidden]
    controls = {p.name: control_for(p, user) for p in visible}
    owner = _gates(visible) if len(visible) > GROUP_AFTER else {}
    main = [
        p
        for p in visible
        if (p.required or p.important) or (p.name not in owner and _up_front(p, controls[p.name]))
    ]
    if not main:
        main = visible[:MAIN_AT_LEAST]
    main_names = {p.name for p in main}
    main.sort(key=lambda p: _rank(p, controls[p.name]))
    rest = [p for p in visible if p.name not in main_names]
    groups: list[dict[str, Any]] = []
    if len(rest) > GROUP_AFTER and owner:
        general: list[str] = []
        by_gate: dict[str, dict[str, Any]] = {}
        for p in rest:
            prefix = _gate_prefix(p)
            if prefix is not None:
                by_gate[p.name] = {"title": choice_label(prefix), "gate": p.name, "fields": []}
        for p in rest:
            if p.name in by_gate:
                continue
            gate = owner.get(p.name)
            (by_gate[gate]["fields"] if gate in by_gate else general).append(p.name)
        if general:
            groups.append({"title": "General", "gate": None, "fields": general})
        groups.extend(by_gate.values())
    elif rest:
        groups.append({"title": "", "gate": None, "fields": [p.name for p in rest]})
    return {"main": [p.name for p in main], "groups": groups}


def spec_json(spec: FieldSpec, user: tuple[Control, ...] = ()) -> dict[str, Any]:
    """The whole form: the root node plus its layout."""
    root = node(spec, user)
    root["layout"] = layout(spec, user)
    return root
