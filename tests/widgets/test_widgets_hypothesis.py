"""Property tests over JSON Schemas shaped like the corpus, converted by the schema layer.

Each generated input schema mixes the constructs the census ranks highest (`X | null` toggles,
`ImageSize | preset` in either member order, other unions, lists of objects with limits, nested
objects, file URLs, const, `RGBColor`, JSON strings, enums with more than 100 values, prompts,
seeds). Valid values round trip through `form.value` and validate against the model; invalid ones
give errors at the right `loc`; random UI events (toggles, list buttons, presets, uploads, typing)
never raise out of a widget callback and leave a form whose "no errors" means "valid".
"""

from __future__ import annotations

import datetime
import json
import logging
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import ipywidgets as w
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from falwidgets.schema import MISSING, spec_from_json_schema
from falwidgets.widgets import FieldWidget, Form, form
from falwidgets.widgets._composite import (
    ImageSizeField,
    ListField,
    ObjectField,
    OptionalField,
    UnionField,
)
from falwidgets.widgets._file import FileField
from falwidgets.widgets._leaf import (
    BoolField,
    ColorField,
    EnumField,
    NumberField,
    SeedField,
    TextField,
)

SETTINGS = settings(
    max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow], derandomize=True
)
PRESETS = ["square_hd", "square", "portrait_4_3", "landscape_4_3", "landscape_16_9"]
STYLES = [f"style_{i:03d}" for i in range(120)]  # > 100 choices: a searchable combobox
DEFS: dict[str, Any] = {
    "ImageSize": {
        "type": "object",
        "properties": {
            "width": {"type": "integer", "exclusiveMinimum": 0, "maximum": 14142, "default": 512},
            "height": {"type": "integer", "exclusiveMinimum": 0, "maximum": 14142, "default": 512},
        },
        "x-fal-order-properties": ["width", "height"],
    },
    "LoraWeight": {
        "type": "object",
        "properties": {
            "path": {"type": "string", "title": "Path"},
            "scale": {"type": "number", "minimum": 0, "maximum": 4, "default": 1.0},
        },
        "required": ["path"],
    },
    "RGBColor": {
        "type": "object",
        "properties": {k: {"type": "integer", "minimum": 0, "maximum": 255} for k in "rgb"},
    },
    "Nested": {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "minimum": 0, "maximum": 10, "default": 1},
            "b": {"type": "string", "default": "x"},
        },
    },
}
words = st.text(st.characters(codec="utf-8", exclude_categories=("Cs",)), min_size=1, max_size=12)
urls = st.from_regex(r"https://cdn\.example/[a-z0-9]{1,8}\.(png|jpg)", fullmatch=True)


@dataclass
class Prop:
    name: str
    schema: dict[str, Any]
    valid: Any
    invalid: Any
    loc: tuple[Any, ...]  # where the invalid value's error must land, below the field


@st.composite
def props(draw: Any, kind: str) -> Prop:
    """One property of a kind seen in the corpus, with a valid and an invalid value."""
    if kind == "int_null":
        low = draw(st.integers(0, 20))
        high = low + draw(st.integers(1, 100))
        default = draw(st.sampled_from([None, low]))
        schema = {
            "anyOf": [{"type": "integer", "minimum": low, "maximum": high}, {"type": "null"}],
            "default": default,
        }
        bad = draw(st.sampled_from([high + 1, "12", 2.5]))
        return Prop("num_inference_steps", schema, draw(st.integers(low, high)), bad, ())
    if kind == "number":
        schema = {"type": "number", "exclusiveMinimum": 0, "maximum": 20, "default": 3.5}
        good = draw(st.floats(0.01, 20, allow_nan=False))
        return Prop("guidance_scale", schema, good, draw(st.sampled_from([0, 21.0, "x"])), ())
    if kind == "image_size":
        members = [{"$ref": "#/$defs/ImageSize"}, {"type": "string", "enum": PRESETS}]
        if draw(st.booleans()):
            members.reverse()  # the corpus has both orders
        schema = {"anyOf": members, "default": draw(st.sampled_from(PRESETS))}
        sizes = st.fixed_dictionaries(
            {"width": st.integers(1, 14142), "height": st.integers(1, 14142)}
        )
        good = draw(st.one_of(st.sampled_from(PRESETS), sizes))
        bad = draw(st.sampled_from([{"width": 0, "height": 5}, "huge", 7]))
        return Prop("image_size", schema, good, bad, ())
    if kind == "union":
        schema = {"anyOf": [{"type": "integer"}, {"type": "string", "minLength": 1}]}
        good = draw(st.one_of(st.integers(-1000, 1000), words))
        return Prop("mode", schema, good, [1], ())
    if kind == "loras":
        schema = {"type": "array", "items": {"$ref": "#/$defs/LoraWeight"}, "maxItems": 3}
        item = st.fixed_dictionaries({"path": words, "scale": st.floats(0, 4, allow_nan=False)})
        good = draw(st.lists(item, min_size=1, max_size=3))
        if draw(st.booleans()):
            return Prop("loras", schema, good, [{"path": "a", "scale": 9.0}], (0, "scale"))
        return Prop("loras", schema, good, [{"path": "a"}] * 4, ())
    if kind == "group":
        schema = {"$ref": "#/$defs/Nested"}
        good = {"a": draw(st.integers(0, 10)), "b": draw(words)}
        return Prop("options", schema, good, {"a": 11, "b": "x"}, ("a",))
    if kind == "image_url":
        bad = draw(st.sampled_from([0.0, 5, True, ["https://x/a.png"]]))
        return Prop("image_url", {"type": "string"}, draw(urls), bad, ())
    if kind == "image_urls":
        schema = {"type": "array", "items": {"type": "string"}}
        return Prop("image_urls", schema, draw(st.lists(urls, min_size=1, max_size=3)), [1], ())
    if kind == "const":
        return Prop("version", {"const": "v1"}, "v1", "v2", ())
    if kind == "color":
        rgb = st.integers(0, 255)
        good = draw(st.fixed_dictionaries({"r": rgb, "g": rgb, "b": rgb}))
        return Prop("color", {"$ref": "#/$defs/RGBColor"}, good, {"r": 300, "g": 0, "b": 0}, ())
    if kind == "json":
        good = json.dumps(draw(st.dictionaries(st.sampled_from("abc"), st.integers(0, 9))))
        return Prop("params", {"type": "string", "default": "{}"}, good, "{oops", ())
    if kind == "style":
        schema = {"type": "string", "enum": STYLES, "default": STYLES[0]}
        return Prop("style", schema, draw(st.sampled_from(STYLES)), "zzz", ())
    if kind == "prompt":
        schema = {"type": "string", "maxLength": 50}
        return Prop("prompt", schema, draw(words), "y" * 51, ())
    if kind == "bool":
        schema = {"type": "boolean", "default": True}
        return Prop("enable_safety_checker", schema, draw(st.booleans()), "yes", ())
    assert kind == "seed"
    schema = {"anyOf": [{"type": "integer"}, {"type": "null"}]}
    return Prop("seed", schema, draw(st.integers(0, 2**31 - 1)), "abc", ())


KINDS = [
    "int_null",
    "number",
    "image_size",
    "union",
    "loras",
    "group",
    "image_url",
    "image_urls",
    "const",
    "color",
    "json",
    "style",
    "prompt",
    "bool",
    "seed",
]


@dataclass
class Case:
    schema: dict[str, Any]
    props: list[Prop]

    @property
    def valid(self) -> dict[str, Any]:
        return {p.name: p.valid for p in self.props}


@st.composite
def cases(draw: Any) -> Case:
    kinds = draw(st.lists(st.sampled_from(KINDS), min_size=1, max_size=6, unique=True))
    chosen = [draw(props(k)) for k in kinds]
    required = [p.name for p in chosen if draw(st.booleans())]
    schema = {
        "type": "object",
        "properties": {p.name: p.schema for p in chosen},
        "required": required,
        "$defs": DEFS,
    }
    return Case(schema, chosen)


def _form(case: Case, expand: bool = False) -> Form:
    return form(spec_from_json_schema(case.schema), expand=expand)


@SETTINGS
@given(cases(), st.booleans())
def test_valid_values_round_trip_and_validate(case: Case, expand: bool) -> None:
    made = _form(case, expand)
    made.value = case.valid
    assert made.value == case.valid
    assert made.errors == [] and made.validate() == []
    made.model()  # the schema's own model agrees
    again = _form(case)
    again.value = made.value
    assert again.value == case.valid


@SETTINGS
@given(cases(), st.data())
def test_invalid_values_give_errors_at_their_loc(case: Case, data: Any) -> None:
    made = _form(case)
    made.value = case.valid
    bad = data.draw(st.sampled_from(case.props))
    made.value = {**case.valid, bad.name: bad.invalid}
    locs = {tuple(e["loc"]) for e in made.errors}
    assert locs == {(bad.name, *bad.loc)}, (made.errors, bad)
    made.value = case.valid  # fixing it clears the mark
    assert made.errors == [] and made.value == case.valid


# --- UI events ----------------------------------------------------------------------------------


def _click(button: w.Button) -> None:
    """Run a button's handlers the way a click does, but let exceptions out (ipywidgets would
    only log them)."""
    for callback in list(button._click_handlers.callbacks):
        callback(button)


def _all_fields(made: Form) -> Iterator[FieldWidget]:
    for top in made.fields.values():
        yield from top.iter_fields()
        if isinstance(top, OptionalField) and top.inner is not None and not top.toggle.value:
            yield from top.inner.iter_fields()  # hidden, but the browser could still reach it


def _png(name: str) -> dict[str, Any]:
    data = b"\x89PNG\r\n\x1a\n" + name.encode()
    when = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
    return {"name": name, "type": "image/png", "size": len(data), "content": data,
            "last_modified": when}  # fmt: skip


def _act(field: FieldWidget, data: Any) -> None:
    """One thing a user can do to this field in the browser."""
    draw = data.draw
    if isinstance(field, OptionalField):
        field.toggle.value = not field.toggle.value
    elif isinstance(field, ListField):
        rows = field._rows.children
        if not rows or draw(st.booleans()):
            _click(field._add)
        else:
            row = draw(st.sampled_from(rows))
            _click(draw(st.sampled_from(row.children[1:])))  # up, down or remove
    elif isinstance(field, ImageSizeField):
        if draw(st.booleans()):
            field.buttons.value = draw(st.sampled_from([v for _, v in field.buttons.options]))
        else:
            box = draw(st.sampled_from(list(field._dims.values())))
            box.value = draw(st.integers(-5, 20000))
    elif isinstance(field, FileField):
        if draw(st.booleans()):
            field.upload.value = (_png(draw(st.sampled_from(["a.png", "b<1>.png"]))),)
        else:
            field.control.value = draw(st.one_of(urls, st.text(max_size=10)))
    elif isinstance(field, UnionField):
        field.choice.value = draw(st.integers(0, len(field.spec.variants) - 1))
    elif isinstance(field, NumberField):
        if field.slider is not None and draw(st.booleans()):
            field.slider.value = draw(st.integers(int(field.slider.min), int(field.slider.max)))
        elif field.spec.kind == "integer":
            field.control.value = draw(st.integers(-(10**6), 10**6))
        else:
            field.control.value = draw(st.floats(-1e6, 1e6, allow_nan=False))
    elif isinstance(field, BoolField):
        field.control.value = not field.control.value
    elif isinstance(field, SeedField):
        if draw(st.booleans()):
            _click(field.button)
        else:
            field.control.value = draw(st.text(max_size=6))
    elif isinstance(field, ColorField):
        field.control.value = draw(st.sampled_from(["#102030", "#fff", "red", "transparent"]))
    elif isinstance(field, EnumField):
        if field.searchable:
            field.control.value = draw(st.one_of(st.sampled_from(STYLES), st.text(max_size=6)))
        else:
            field.control.value = draw(st.sampled_from(field.spec.enum))
    elif isinstance(field, TextField):  # text, prompt, JSON strings
        field.control.value = draw(st.text(max_size=60))


class _Records(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


@pytest.fixture(scope="module")
def callback_log() -> Iterator[_Records]:
    """Warnings that ipywidgets or falwidgets log when a callback fails."""
    handler = _Records()
    loggers = [logging.getLogger(n) for n in ("falwidgets", "traitlets", "ipywidgets")]
    for logger in loggers:
        logger.addHandler(handler)
    yield handler
    for logger in loggers:
        logger.removeHandler(handler)


@settings(SETTINGS, max_examples=60)
@given(case=cases(), data=st.data())
def test_ui_events_never_raise_and_no_errors_means_valid(
    case: Case, data: Any, callback_log: _Records
) -> None:
    made = _form(case, expand=True)
    made.value = case.valid
    callback_log.records.clear()
    for _ in range(data.draw(st.integers(1, 8))):
        fields = [f for f in _all_fields(made) if not isinstance(f, ObjectField)]
        _act(data.draw(st.sampled_from(fields)), data)  # any exception here fails the test
    made.wait_uploads(10)
    assert callback_log.records == []
    value = made.value
    json.dumps(value)  # always JSON
    names = {p.name for p in case.props}
    errors = made.validate()
    assert all(e["loc"] and e["loc"][0] in names for e in errors), errors
    if not errors:
        made.model()  # nothing marked: the schema's model accepts what would be sent
    assert made.value == value and MISSING not in value.values()
