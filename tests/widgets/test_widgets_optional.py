"""`X | null` toggles: marks clear once the value is fixed; odd schema defaults never crash."""

from __future__ import annotations

from widget_specs import field, obj

from falwidgets.widgets import form


def _steps_form() -> object:
    return form(
        obj(
            field("prompt", "string", role="prompt"),
            field("steps", "integer", nullable=True, required=False, default=None, maximum=50),
        )
    )


def test_a_fixed_value_clears_the_mark_of_an_optional_field() -> None:
    made = _steps_form()
    made.value = {"prompt": "p", "steps": "12"}
    steps = made.fields["steps"]
    assert steps.error == "Input should be a valid integer"
    assert [e["loc"] for e in made.errors] == [["steps"]]
    made.value = {"prompt": "p", "steps": 10}
    assert made.value == {"prompt": "p", "steps": 10}
    assert steps.toggle.value and steps.error is None and made.errors == []


def test_a_rejected_value_survives_validate_until_the_next_change() -> None:
    made = _steps_form()
    made.value = {"prompt": "p", "steps": "12"}
    assert [e["msg"] for e in made.validate()] == ["Input should be a valid integer"]
    made.fields["steps"].toggle.value = True  # the user switches it on: a real change
    assert made.errors == [] and made.value["steps"] == 0


def test_an_out_of_range_inner_value_marks_then_clears() -> None:
    made = _steps_form()
    made.value = {"prompt": "p", "steps": 99}
    assert made.errors == [
        {"loc": ["steps"], "msg": "Input should be less than or equal to 50", "type": "value_error"}
    ]
    made.fields["steps"].toggle.value = False  # off sends nothing: nothing to complain about
    assert made.errors == [] and "steps" not in made.value


def test_field_required_from_the_server_clears_when_the_user_fills_it() -> None:
    made = form("bria/fibo-edit/relight")
    light = made.fields["light_direction"]
    assert not light.toggle.value
    made.show_errors(
        {"detail": [{"loc": ["body", "light_direction"], "msg": "Field required", "type": "x"}]}
    )
    assert light.error == "Field required"
    light.toggle.value = True
    assert light.error is None and made.errors == []
    assert made.value["light_direction"] == "front"


def test_a_group_mark_clears_when_a_good_value_arrives() -> None:
    made = form(obj(obj(field("a", "integer", default=1), name="group")))
    made.value = {"group": 5}
    assert made.fields["group"].error == "Input should be a valid dictionary"
    made.value = {"group": {"a": 2}}
    assert made.errors == [] and made.value == {"group": {"a": 2}}


def test_flowedit_odd_integer_defaults_are_field_errors_not_crashes() -> None:
    made = form("fal-ai/flowedit", expand=True)  # used to raise TypeError
    assert "could not build" not in made._message.value
    src = made.fields["src_guidance_scale"]
    assert src.error == "Input should be a valid integer (schema default 1.5)"
    assert not src.toggle.value and "src_guidance_scale" not in made.value  # the server's default
    assert made.value["num_inference_steps"] == 28
    made.value = {"image_url": "https://x/a.png", "src_guidance_scale": 3}
    assert made.value["src_guidance_scale"] == 3 and made.errors == []


def test_flowedit_lazy_form_opens_and_takes_values() -> None:
    made = form("fal-ai/flowedit")
    lazy = dict(made.value)
    made._advanced.selected_index = 0  # the user opens Advanced
    assert "could not build" not in made._message.value
    assert made.value == lazy  # building the section does not change what is sent
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
        expand=True,
    )
    msgs = {e["loc"][0]: e["msg"] for e in made.errors}
    assert set(msgs) == {"n", "mode", "size", "tags", "name"}, msgs
    assert all("schema default" in m for m in msgs.values()), msgs
