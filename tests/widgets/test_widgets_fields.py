"""Each kind of field: values round trip through the form's JSON `value`, bad values mark the
field (Python checks every change), and the field tree tells the browser how to draw it."""

from __future__ import annotations

from typing import Any

import pytest

from falwidgets.previews import safe_url
from falwidgets.schema import MISSING, FieldSpec
from falwidgets.widgets import Form, form
from widget_specs import IMAGE_SIZE, field, obj


def one(spec: FieldSpec, **kwargs: Any) -> Form:
    """A form holding just ``spec`` (its handle is ``made.fields[spec.name]``)."""
    return form(obj(spec), **kwargs)


def node(made: Form, name: str) -> dict[str, Any]:
    return next(n for n in made.spec["properties"] if n["name"] == name)


def test_slider_step_from_multiple_of_and_exclusive_bounds() -> None:
    made = one(field("g", "number", exclusive_minimum=0, maximum=20, multiple_of=0.5, default=3))
    drawn = node(made, "g")
    assert drawn["slider"] and drawn["step"] == 0.5 and drawn["xmin"] == 0 and drawn["max"] == 20
    g = made.fields["g"]
    assert g.value == 3
    g.value = 7.5
    assert made.value["g"] == 7.5 and g.error is None
    g.value = 0.0  # the excluded bound marks the field
    assert g.error == "Input should be greater than 0"
    g.value = 1.25
    assert g.error == "Input should be a multiple of 0.5"
    g.value = 2.0
    assert g.error is None


def test_out_of_range_and_wrong_type_mark_the_field() -> None:
    made = one(field("n", "integer", minimum=1, maximum=10, default=4))
    n = made.fields["n"]
    n.value = 11
    assert n.error == "Input should be less than or equal to 10"
    assert made.errors == [
        {"loc": ["n"], "msg": "Input should be less than or equal to 10", "type": "less_than_equal"}
    ]
    n.value = "many"  # wrong type through the API: shown, not raised
    assert str(n.error).startswith("Input should be a valid integer")
    n.reset()
    assert n.value == 4 and n.error is None


def test_unbounded_number_has_no_slider() -> None:
    made = one(field("x", "number", minimum=0, default=1.5))
    assert node(made, "x")["slider"] is False
    made.fields["x"].value = -1.0
    assert "greater than or equal to 0" in str(made.fields["x"].error)


def test_text_prompt_and_empty_means_nothing() -> None:
    made = one(field("prompt", "string", role="prompt", max_length=5))
    assert node(made, "prompt")["control"] == "prompt"
    prompt = made.fields["prompt"]
    assert prompt.value is MISSING
    prompt.value = "hello world"
    assert prompt.error == "String should have at most 5 characters"
    prompt.value = ""  # an explicit empty string is a value
    assert made.value["prompt"] == ""
    neg = one(field("negative_prompt", "string", default="", required=False))
    assert neg.value["negative_prompt"] == ""


def test_enum_choices_and_bad_choice() -> None:
    made = one(field("fmt", "enum", enum=("png", "jpeg", 3), default="jpeg"))
    assert [c["value"] for c in node(made, "fmt")["choices"]] == ["png", "jpeg", 3]
    fmt = made.fields["fmt"]
    assert fmt.value == "jpeg"
    fmt.value = 3
    assert fmt.value == 3 and fmt.error is None
    fmt.value = "gif"
    assert fmt.error and "png" in fmt.error


def test_seed_empty_means_nothing() -> None:
    made = one(field("seed", "integer", role="seed", required=False))
    assert node(made, "seed")["control"] == "seed"  # the browser draws the dice button
    seed = made.fields["seed"]
    assert seed.value is MISSING
    seed.value = "12x"
    assert str(seed.error).startswith("Input should be a valid integer")
    seed.value = MISSING
    assert "seed" not in made.value and seed.error is None


def test_image_size_presets_and_custom() -> None:
    made = one(IMAGE_SIZE)
    drawn = node(made, "image_size")
    assert drawn["control"] == "image_size" and drawn["custom"]["control"] == "object"
    assert "square_hd" in [p["value"] for p in drawn["presets"]]
    size = made.fields["image_size"]
    assert size.value == "landscape_4_3"
    size.value = "square_hd"
    assert made.value["image_size"] == "square_hd" and size.error is None
    size.value = {"width": 640, "height": 480}
    assert size.error is None
    size.value = {"width": 0, "height": 480}  # exclusiveMinimum 0
    assert size.error and "greater than 0" in size.error
    size.value = {"width": 800, "height": 480}
    assert size.error is None and made.value["image_size"] == {"width": 800, "height": 480}
    size.value = "bogus"
    assert size.error


def test_optional_image_size_sends_nothing_by_default() -> None:
    made = one(IMAGE_SIZE.evolve(nullable=True, default=None))
    assert node(made, "image_size")["optional"]
    size = made.fields["image_size"]
    assert size.value is MISSING
    size.value = "square"
    assert made.value["image_size"] == "square"
    size.value = {"width": 64, "height": 32}
    made.reset()
    assert "image_size" not in made.value


def test_color_round_trip() -> None:
    spec = FieldSpec(
        name="color",
        kind="object",
        ref="RGBColor",
        role="color",
        required=True,
        properties=tuple(FieldSpec(name=k, kind="integer") for k in "rgb"),
        default={"r": 255, "g": 128, "b": 0},
    )
    made = one(spec)
    assert node(made, "color")["control"] == "color"
    assert made.value["color"] == {"r": 255, "g": 128, "b": 0}
    made.fields["color"].value = {"r": 16, "g": 32, "b": 48}
    assert made.value["color"] == {"r": 16, "g": 32, "b": 48} and made.errors == []


def test_json_string_is_checked() -> None:
    made = one(field("params", "string", role="json", default='{"a": 1}'))
    params = made.fields["params"]
    assert params.value == '{"a": 1}'
    params.value = "{oops"
    assert params.error and "JSON" in params.error
    params.value = "[1, 2]"
    assert params.error is None and made.value["params"] == "[1, 2]"


def test_json_any_field() -> None:
    made = one(field("blob", "any"))
    made.fields["blob"].value = {"k": [1, 2]}
    assert made.value["blob"] == {"k": [1, 2]} and made.errors == []


def test_file_fields_take_urls_and_file_objects() -> None:
    made = one(field("image_url", "string", role="file", media="image"))
    assert node(made, "image_url")["control"] == "file"
    made.fields["image_url"].value = "https://x/a.png"
    assert made.value["image_url"] == "https://x/a.png" and made.errors == []
    item = FieldSpec(name="", kind="string", role="file", media="image")
    many = one(field("image_urls", "array", role="file", items=item))
    assert node(many, "image_urls")["control"] == "files"
    many.fields["image_urls"].value = ["https://x/a.png", "https://x/b.jpg"]
    assert many.value["image_urls"] == ["https://x/a.png", "https://x/b.jpg"]
    file_obj = FieldSpec(
        name="image",
        kind="object",
        role="file",
        media="image",
        required=True,
        properties=(
            FieldSpec(name="url", kind="string", required=True),
            FieldSpec(name="content_type", kind="string"),
        ),
    )
    made = one(file_obj)
    made.fields["image"].value = {"url": "https://x/a.png", "content_type": "image/png"}
    assert made.value["image"] == {"url": "https://x/a.png", "content_type": "image/png"}
    assert made.errors == []


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>"])
def test_previews_refuse_unsafe_urls(url: str) -> None:
    # the one URL rule (previews/_safety.py); the browser's thumbnails use its twin in dom.js and
    # set URLs as attributes through the DOM, never inside HTML text
    assert safe_url(url) is None


def test_list_of_objects_marks_the_item() -> None:
    lora = obj(
        field("path", "string"),
        field("scale", "number", minimum=0, maximum=4, default=1.0),
        name="LoraWeight",
    )
    made = one(field("loras", "array", required=False, items=lora, max_items=2))
    assert node(made, "loras")["items"]["control"] == "object"
    loras = made.fields["loras"]
    assert loras.value is MISSING
    loras.value = [{"path": "a", "scale": 1.0}, {"path": "b", "scale": 2.0}]
    assert made.errors == []
    loras.value = [{"path": "a"}, {"path": "b"}, {"path": "c"}]
    assert loras.error and "at most 2 items" in loras.error
    loras.value = [{"path": "a"}, {"path": "b", "scale": 9.0}]
    assert made.errors[0]["loc"] == ["loras", 1, "scale"]


def test_list_of_primitives() -> None:
    made = one(field("tags", "array", items=FieldSpec(name="", kind="integer", maximum=5)))
    made.fields["tags"].value = [1, 2, 3]
    assert made.value["tags"] == [1, 2, 3] and made.errors == []
    made.fields["tags"].value = [1, 9]
    assert made.errors[0]["loc"] == ["tags", 1]


def test_union_branches() -> None:
    made = one(
        field(
            "x",
            "union",
            variants=(field("n", "integer", title="number"), field("s", "string", title="text")),
            default=3,
        )
    )
    assert [v["kind"] for v in node(made, "x")["variants"]] == ["integer", "string"]
    assert made.value["x"] == 3
    made.fields["x"].value = "hello"
    assert made.value["x"] == "hello" and made.errors == []


def test_nested_object_group() -> None:
    made = one(
        obj(field("a", "integer", default=1), field("b", "string", required=False), name="group")
    )
    assert [p["name"] for p in node(made, "group")["properties"]] == ["a", "b"]
    assert made.value["group"] == {"a": 1}
    made.fields["group"].value = {"a": 2, "b": "x"}
    assert made.value["group"] == {"a": 2, "b": "x"} and made.errors == []


def test_observer_errors_do_not_break_the_form() -> None:
    made = one(field("flag", "boolean", default=False))
    seen: list[Any] = []

    def bad(change: Any) -> None:
        seen.append(change["new"])
        raise RuntimeError("observer exploded")

    made.observe(bad, "value")
    with pytest.raises(RuntimeError, match="observer exploded"):
        made.fields["flag"].value = True  # a user's observer: its error is the user's
    assert made.value["flag"] is True and seen  # the form itself took the value
