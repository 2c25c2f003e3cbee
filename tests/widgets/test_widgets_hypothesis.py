"""Property tests over specs shaped like the corpus's constructs.

Valid values round trip through `form.value`; invalid ones give an error at that field's `loc`;
random UI events never raise out of a widget callback.
"""

from __future__ import annotations

import math
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from widget_specs import IMAGE_SIZE

from falwidgets.schema import FieldSpec
from falwidgets.widgets import Form, form

SETTINGS = settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
PRESETS = IMAGE_SIZE.variants[1].enum


@st.composite
def specs_and_values(draw: Any, name: str) -> tuple[FieldSpec, Any, Any]:
    """(spec, a valid value, an invalid value) for one field."""
    kind = draw(
        st.sampled_from(
            [
                "integer",
                "number",
                "string",
                "enum",
                "int_enum",
                "boolean",
                "seed",
                "image_size",
                "int_list",
                "group",
            ]
        )
    )
    if kind == "integer":
        low = draw(st.integers(-100, 100))
        high = low + draw(st.integers(10, 1000))  # room for a multiple of 5
        step = draw(st.sampled_from([None, 1, 2, 5]))
        spec = FieldSpec(
            name=name, kind="integer", required=True, minimum=low, maximum=high, multiple_of=step
        )
        unit = step or 1
        k = draw(st.integers(math.ceil(low / unit), math.floor(high / unit)))
        bad = draw(st.sampled_from([high + unit, "12", 1.5]))
        return spec, k * unit, bad
    if kind == "number":
        low = draw(st.floats(-10, 10, allow_nan=False).map(lambda x: round(x, 2)))
        high = low + draw(st.floats(0.5, 100).map(lambda x: round(x, 2)))
        spec = FieldSpec(
            name=name, kind="number", required=True, exclusive_minimum=low, maximum=high
        )
        value = draw(st.floats(low, high, exclude_min=True, allow_nan=False))
        return spec, value, draw(st.sampled_from([low, high + 1, "x"]))
    if kind == "string":
        spec = FieldSpec(name=name, kind="string", required=True, max_length=20)
        return spec, draw(st.text(min_size=1, max_size=20)), "y" * 21
    if kind == "enum":
        spec = FieldSpec(name=name, kind="enum", required=True, enum=("a", "b", "c"))
        return spec, draw(st.sampled_from(spec.enum)), "d"
    if kind == "int_enum":
        choices = tuple(range(0, 25 * 2, 2))  # long: a combobox
        spec = FieldSpec(name=name, kind="enum", required=True, enum=choices)
        return spec, draw(st.sampled_from(choices)), 3
    if kind == "boolean":
        return FieldSpec(name=name, kind="boolean", required=True), draw(st.booleans()), "yes"
    if kind == "seed":
        spec = FieldSpec(name=name, kind="integer", role="seed", required=False, nullable=True)
        return spec, draw(st.integers(0, 2**31 - 1)), "abc"
    if kind == "image_size":
        value = draw(
            st.one_of(
                st.sampled_from(PRESETS),
                st.fixed_dictionaries(
                    {"width": st.integers(1, 14142), "height": st.integers(1, 14142)}
                ),
            )
        )
        return IMAGE_SIZE.evolve(name=name, required=True), value, {"width": 0, "height": 5}
    if kind == "int_list":
        spec = FieldSpec(
            name=name,
            kind="array",
            required=True,
            max_items=4,
            items=FieldSpec(name="", kind="integer", minimum=0, maximum=9),
        )
        return spec, draw(st.lists(st.integers(0, 9), min_size=1, max_size=4)), [1, 99]
    child = FieldSpec(name="scale", kind="number", required=True, minimum=0, maximum=2)
    spec = FieldSpec(name=name, kind="object", required=True, properties=(child,))
    return spec, {"scale": draw(st.floats(0, 2))}, {"scale": 3.0}


@st.composite
def forms(draw: Any) -> tuple[FieldSpec, dict[str, Any], dict[str, Any]]:
    count = draw(st.integers(1, 4))
    triples = [draw(specs_and_values(f"f{i}")) for i in range(count)]
    root = FieldSpec(name="", kind="object", required=True, properties=tuple(t[0] for t in triples))
    return root, {t[0].name: t[1] for t in triples}, {t[0].name: t[2] for t in triples}


@SETTINGS
@given(forms())
def test_valid_values_round_trip(case: tuple[FieldSpec, dict, dict]) -> None:
    root, valid, _ = case
    made = form(root)
    made.value = valid
    assert made.value == valid
    assert made.errors == []
    again = Form(root)
    again.value = made.value
    assert again.value == valid


@SETTINGS
@given(forms(), st.data())
def test_invalid_values_give_field_level_errors(
    case: tuple[FieldSpec, dict, dict], data: Any
) -> None:
    root, valid, invalid = case
    made = form(root)
    made.value = valid
    name = data.draw(st.sampled_from(sorted(invalid)))
    made.value = {**valid, name: invalid[name]}
    locs = [e["loc"][0] for e in made.errors]
    assert locs and set(locs) == {name}, (made.errors, name, invalid[name])
    made.value = valid  # fixing it clears the mark
    assert made.errors == [] and made.value == valid


@SETTINGS
@given(
    forms(),
    st.lists(
        st.tuples(
            st.integers(0, 3),
            st.one_of(
                st.integers(-(10**6), 10**6),
                st.floats(allow_nan=False, allow_infinity=False),
                st.text(max_size=8),
                st.booleans(),
            ),
        ),
        max_size=6,
    ),
)
def test_ui_events_never_raise(case: tuple[FieldSpec, dict, dict], events: list) -> None:
    root, _, _ = case
    made = form(root)
    widgets = list(made.fields.values())
    for index, value in events:
        field = widgets[index % len(widgets)]
        control = getattr(field, "control", None) or getattr(field, "buttons", None)
        if control is None:
            continue
        try:
            control.value = value  # what the browser would send; traitlets may refuse it
        except Exception as exc:  # refused by the trait itself (never reaches our callback)
            assert type(exc).__name__ == "TraitError"
    assert isinstance(made.value, dict)
