"""`X | null` toggles: marks clear once the value is fixed; odd schema defaults never crash."""

from __future__ import annotations

from falwidgets.schema import MISSING
from falwidgets.widgets import form
from widget_specs import field, obj


def _steps_form() -> object:
    return form(
        obj(
            field("prompt", "string", role="prompt"),
            field("steps", "integer", nullable=True, required=False, default=None, maximum=50),
        )
    )


def test_a_fixed_value_clears_the_mark_of_an_optional_field() -> None:
    made = _steps_form()
    made.value = {"prompt": "p", "steps": "twelve"}
    steps = made.fields["steps"]
    assert str(steps.error).startswith("Input should be a valid integer")
    assert [e["loc"] for e in made.errors] == [["steps"]]
    made.value = {"prompt": "p", "steps": 10}
    assert made.value == {"prompt": "p", "steps": 10}
    assert steps.value == 10 and steps.error is None and made.errors == []


def test_a_rejected_value_survives_validate_until_the_next_change() -> None:
    made = _steps_form()
    made.value = {"prompt": "p", "steps": "twelve"}
    assert [e["msg"] for e in made.validate()] == [
        "Input should be a valid integer, unable to parse string as an integer"
    ]
    made.fields["steps"].value = 0  # the user switches it on (its first value): a real change
    assert made.errors == [] and made.value["steps"] == 0


def test_an_out_of_range_inner_value_marks_then_clears() -> None:
    made = _steps_form()
    made.value = {"prompt": "p", "steps": 99}
    assert made.errors == [
        {
            "loc": ["steps"],
            "msg": "Input should be less than or equal to 50",
            "type": "less_than_equal",
        }
    ]
    made.fields["steps"].value = MISSING  # off sends nothing: nothing to complain about
    assert made.errors == [] and "steps" not in made.value


def test_field_required_from_the_server_clears_when_the_user_fills_it() -> None:
    made = form("bria/fibo-edit/relight")
    light = made.fields["light_direction"]
    assert "light_direction" not in made.value  # optional without a default: off
    made.show_errors(
        {"detail": [{"loc": ["body", "light_direction"], "msg": "Field required", "type": "x"}]}
    )
    assert light.error == "Field required"
    light.value = "front"  # the user switches it on
    assert light.error is None and made.errors == []
    assert made.value["light_direction"] == "front"


def test_a_group_mark_clears_when_a_good_value_arrives() -> None:
    made = form(obj(obj(field("a", "integer", default=1), name="group")))
    made.value = {"group": 5}
    assert str(made.fields["group"].error).startswith("Input should be a valid dictionary")
    made.value = {"group": {"a": 2}}
    assert made.errors == [] and made.value == {"group": {"a": 2}}


def test_flowedit_odd_integer_defaults_are_left_to_the_server_not_crashes() -> None:
    made = form("fal-ai/flowedit")  # used to raise TypeError
    # an integer field whose schema default is 1.5: not sent (the server applies its default)
    assert "src_guidance_scale" not in made.value  # off: the server's default
    assert made.value["num_inference_steps"] == 28
    made.value = {"image_url": "https://x/a.png", "src_guidance_scale": 3}
    assert made.value["src_guidance_scale"] == 3 and made.errors == []


def test_flowedit_form_takes_values() -> None:
    made = form("fal-ai/flowedit")
    lazy = dict(made.value)
    assert not any(e["type"] == "error" for e in made.errors)  # nothing failed to build
    made.value = {**lazy, "tar_guidance_scale": 7}
    assert made.value["tar_guidance_scale"] == 7


def test_odd_defaults_elsewhere_never_crash_a_build() -> None:
    made = form(
        obj(
            field("n", "integer", default=2.5),
            field("mode", "enum", enum=("a", "b"), default="zzz"),
            field("size", "union", variants=(field("w", "integer"),), default="big"),
            field("tags", "array", items=field("t", "string"), default="notalist"),
            field("name", "string", default=7),
        ),
    )
    # a default that breaks its own field is never sent silently: left to the server, or marked
    marked = {e["loc"][0] for e in made.errors}
    assert all(key in marked for key in made.value), (made.value, made.errors)
    assert {"n", "mode", "tags", "name"}.isdisjoint(made.value)
