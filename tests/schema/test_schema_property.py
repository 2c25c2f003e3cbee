"""Property test: schemas built from the corpus's constructs, with valid and invalid values.

Each generated field carries its JSON Schema plus strategies for valid and invalid values; a valid
input must validate and round trip through JSON, an invalid one must fail with errors whose `loc`
starts with that field's name, both through the model and through `field_errors`.
"""

from __future__ import annotations

from typing import Any, NamedTuple

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from falwidgets.schema import field_errors, load_endpoint

PRESETS = ["square_hd", "square", "portrait_4_3", "landscape_16_9"]
COMPONENTS = {
    "ImageSize": {
        "type": "object",
        "title": "ImageSize",
        "properties": {
            "width": {"type": "integer", "exclusiveMinimum": 0, "maximum": 14142, "default": 512},
            "height": {"type": "integer", "exclusiveMinimum": 0, "maximum": 14142, "default": 512},
        },
        "x-fal-order-properties": ["width", "height"],
    }
}


class Field(NamedTuple):
    schema: dict[str, Any]
    valid: st.SearchStrategy[Any]
    invalid: st.SearchStrategy[Any]


@st.composite
def bounded_int(draw: st.DrawFn) -> Field:
    low = draw(st.integers(-1000, 1000))
    high = low + draw(st.integers(0, 1000))
    schema = {"type": "integer", "minimum": low, "maximum": high}
    return Field(schema, st.integers(low, high), st.sampled_from([low - 1, high + 1, "x", 0.5]))


@st.composite
def bounded_number(draw: st.DrawFn) -> Field:
    low = draw(st.floats(-100, 100, allow_nan=False).map(lambda x: round(x, 2)))
    high = low + draw(st.floats(0.5, 100).map(lambda x: round(x, 2)))
    schema = {"type": "number", "exclusiveMinimum": low, "maximum": high}
    valid = st.floats(low, high, exclude_min=True, allow_nan=False)
    return Field(schema, valid, st.sampled_from([low, high + 1, "nope"]))


@st.composite
def string_enum(draw: st.DrawFn) -> Field:
    choices = draw(
        st.lists(st.text("abcdefgh_", min_size=1, max_size=6), min_size=1, max_size=8, unique=True)
    )
    schema = {"type": "string", "enum": choices}
    return Field(schema, st.sampled_from(choices), st.sampled_from(["ZZ-not-a-choice", 3]))


@st.composite
def bounded_string(draw: st.DrawFn) -> Field:
    low = draw(st.integers(0, 3))
    high = low + draw(st.integers(0, 5))
    schema = {"type": "string", "minLength": low, "maxLength": high}
    valid = st.text("xyz", min_size=low, max_size=high)
    return Field(schema, valid, st.sampled_from(["q" * (high + 1), 12, None]))


def image_size() -> st.SearchStrategy[Field]:
    schema = {
        "anyOf": [
            {"$ref": "#/components/schemas/ImageSize"},
            {"type": "string", "enum": PRESETS},
        ],
        "default": "square",
    }
    dims = st.integers(1, 14142)
    valid = st.one_of(
        st.sampled_from(PRESETS), st.fixed_dictionaries({"width": dims, "height": dims})
    )
    invalid = st.sampled_from(["huge", {"width": 0, "height": 5}, {"width": 20000}])
    return st.just(Field(schema, valid, invalid))


LEAVES = st.one_of(bounded_int(), bounded_number(), string_enum(), bounded_string(), image_size())


@st.composite
def nullable(draw: st.DrawFn, inner: st.SearchStrategy[Field]) -> Field:
    field = draw(inner)
    if draw(st.booleans()):
        schema = {"anyOf": [field.schema, {"type": "null"}]}
    else:
        schema = {**field.schema, "nullable": True}
    invalid = field.invalid.filter(lambda v: v is not None)
    return Field(schema, st.one_of(st.none(), field.valid), invalid)


@st.composite
def array(draw: st.DrawFn, inner: st.SearchStrategy[Field]) -> Field:
    item = draw(inner)
    low = draw(st.integers(0, 2))
    high = low + draw(st.integers(0, 3))
    schema = {"type": "array", "items": item.schema, "minItems": low, "maxItems": high}
    valid = st.lists(item.valid, min_size=low, max_size=high)
    too_many = st.lists(item.valid, min_size=high + 1, max_size=high + 1)
    bad_item = st.lists(item.invalid, min_size=max(low, 1), max_size=max(low, 1))
    return Field(schema, valid, st.one_of(too_many, bad_item, st.just("not a list")))


@st.composite
def nested(draw: st.DrawFn, inner: st.SearchStrategy[Field]) -> Field:
    names = draw(
        st.lists(st.sampled_from(["a", "b", "c", "d"]), min_size=1, max_size=3, unique=True)
    )
    fields = {name: draw(inner) for name in names}
    schema = {
        "type": "object",
        "properties": {name: f.schema for name, f in fields.items()},
        "required": names,
    }
    valid = st.fixed_dictionaries({name: f.valid for name, f in fields.items()})
    broken = draw(st.sampled_from(names))
    invalid = st.fixed_dictionaries(
        {name: (f.invalid if name == broken else f.valid) for name, f in fields.items()}
    )
    return Field(schema, valid, invalid)


FIELDS = st.recursive(
    LEAVES,
    lambda inner: st.one_of(nullable(inner), array(inner), nested(inner)),
    max_leaves=4,
)


@st.composite
def endpoint(draw: st.DrawFn) -> tuple[dict[str, Any], dict[str, Field]]:
    names = draw(
        st.lists(
            st.from_regex(r"[a-z][a-z_]{0,8}", fullmatch=True), min_size=1, max_size=4, unique=True
        )
    )
    fields = {name: draw(FIELDS) for name in names}
    doc = {
        "components": {"schemas": COMPONENTS},
        "type": "object",
        "properties": {name: f.schema for name, f in fields.items()},
        "required": names,
        "x-fal-order-properties": list(reversed(names)),
    }
    return doc, fields


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data(), generated=endpoint())
def test_valid_values_round_trip_and_invalid_ones_name_the_field(
    data: st.DataObject, generated: tuple[dict[str, Any], dict[str, Field]]
) -> None:
    doc, fields = generated
    schema = load_endpoint(doc)
    assert [p.name for p in schema.input.properties] == list(reversed(fields))
    model = schema.input_model()

    value = {name: data.draw(f.valid, label=f"valid {name}") for name, f in fields.items()}
    instance = model.model_validate(value)
    dumped = instance.model_dump(mode="json")
    assert model.model_validate(dumped) == instance
    for name in fields:
        assert field_errors(schema.input.child(name), value[name]) == []

    broken = data.draw(st.sampled_from(sorted(fields)), label="broken field")
    bad = data.draw(fields[broken].invalid, label="invalid value")
    errors = field_errors(schema.input.child(broken), bad)
    assert errors and all(e["loc"][0] == broken for e in errors)
    try:
        model.model_validate({**value, broken: bad})
    except Exception as exc:
        locs = [e["loc"] for e in exc.errors()]  # type: ignore[attr-defined]
        assert locs and all(loc[0] == broken for loc in locs)
    else:
        raise AssertionError(f"{bad!r} accepted for {broken}")
