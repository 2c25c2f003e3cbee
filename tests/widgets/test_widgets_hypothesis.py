"""Property tests over JSON Schemas shaped like the corpus, converted by the schema layer.

Each generated input schema mixes the constructs the census ranks highest (`X | null` toggles,
`ImageSize | preset` in either member order, other unions, lists of objects with limits, nested
objects, file URLs, const, `RGBColor`, JSON strings, enums with more than 100 values, prompts,
seeds). Valid values round trip through `form.value` and validate against the model; invalid ones
give errors at the right `loc`; random field edits (good values, bad ones, switches off) never
raise and leave a form whose "no errors" means "valid".
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from falwidgets.schema import MISSING, spec_from_json_schema
from falwidgets.widgets import Form, form

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
        return Prop("color", {"$ref": "#/$defs/RGBColor"}, good, {"r": 300, "g": 0, "b": 0}, ("r",))
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
        return Prop("enable_safety_checker", schema, draw(st.booleans()), "maybe", ())
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


def _form(case: Case) -> Form:
    return form(spec_from_json_schema(case.schema))


@SETTINGS
@given(cases())
def test_valid_values_round_trip_and_validate(case: Case) -> None:
    made = _form(case)
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


# --- edits as the browser makes them --------------------------------------------------------


@settings(SETTINGS, max_examples=60)
@given(case=cases(), data=st.data())
def test_field_edits_never_raise_and_no_errors_means_valid(case: Case, data: Any) -> None:
    """The browser sets one field at a time (a good value, a bad one, or nothing: a switch off);
    whatever the order, the form stays JSON and "no errors" means the model accepts it."""
    made = _form(case)
    made.value = case.valid
    for _ in range(data.draw(st.integers(1, 8))):
        prop = data.draw(st.sampled_from(case.props))
        choice = data.draw(st.sampled_from(["valid", "invalid", "off"]))
        new = (
            {"valid": case.valid.get(prop.name, MISSING), "invalid": prop.invalid}[choice]
            if (choice != "off")
            else MISSING
        )
        made.fields[prop.name].value = new  # any exception here fails the test
    value = made.value
    json.dumps(value)  # always JSON
    names = {p.name for p in case.props}
    errors = made.validate()
    assert all(e["loc"] and e["loc"][0] in names for e in errors), errors
    if not errors:
        made.model()  # nothing marked: the schema's model accepts what would be sent
    assert made.value == value and MISSING not in value.values()
