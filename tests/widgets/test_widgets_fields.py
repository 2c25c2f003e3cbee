"""Each field widget: values round trip in JSON form, bad values mark the field, never raise."""

from __future__ import annotations

import datetime
from typing import Any

import ipywidgets as w
import pytest
from widget_specs import IMAGE_SIZE, field, obj

from falwidgets.schema import MISSING, FieldSpec
from falwidgets.widgets import REGISTRY, BuildContext, FieldWidget
from falwidgets.widgets._file import preview_html
from falwidgets.widgets._upload import wait_all


def upfile(name: str, content_type: str, data: bytes) -> dict[str, Any]:
    """An entry shaped like the ones ipywidgets' FileUpload holds after a browser upload."""
    return {
        "name": name,
        "type": content_type,
        "size": len(data),
        "content": memoryview(data),
        "last_modified": datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc),
    }


def build(spec: FieldSpec, **ctx: Any) -> Any:
    return REGISTRY.build(spec, BuildContext(REGISTRY, **ctx))


def settle(made: FieldWidget) -> None:
    """Wait for the field's uploads (they run in a worker thread) and apply them."""
    wait_all(made.ctx.uploads, 10)


def test_slider_step_from_multiple_of_and_exclusive_bounds() -> None:
    made = build(field("g", "number", exclusive_minimum=0, maximum=20, multiple_of=0.5, default=3))
    assert isinstance(made.slider, w.FloatSlider)
    assert made.slider.step == 0.5
    assert made.slider.min == 0.5 and made.slider.max == 20  # never the excluded 0
    assert made.get() == 3
    made.slider.value = 7.5  # dragging the slider updates the value
    assert made.get() == 7.5
    made.control.value = 0.0  # typing the excluded bound marks the field
    assert made.error == "Input should be greater than 0"
    made.control.value = 1.25
    assert made.error == "Input should be a multiple of 0.5"
    made.control.value = 2.0
    assert made.error is None


def test_out_of_range_and_wrong_type_mark_the_field() -> None:
    made = build(field("n", "integer", minimum=1, maximum=10, default=4))
    assert isinstance(made.slider, w.IntSlider)
    made.control.value = 11
    assert made.error == "Input should be less than or equal to 10"
    assert made.errors() == [
        {"loc": [], "msg": "Input should be less than or equal to 10", "type": "value_error"}
    ]
    assert made.slider.value == 10  # the slider stays in range, the box shows what was typed
    made.value = "many"  # wrong type through the API: shown, not raised
    assert made.error == "Input should be a valid integer"
    made.reset()
    assert made.get() == 4 and made.error is None


def test_unbounded_number_has_no_slider() -> None:
    made = build(field("x", "number", minimum=0, default=1.5))
    assert made.slider is None
    made.value = -1.0
    assert "greater than or equal to 0" in made.error


def test_text_prompt_and_empty_means_nothing() -> None:
    prompt = build(field("prompt", "string", role="prompt", max_length=5))
    assert isinstance(prompt.control, w.Textarea)
    assert prompt.get() is MISSING
    prompt.control.value = "hello world"
    assert prompt.error == "String should have at most 5 characters"
    prompt.value = ""  # an explicit empty string is a value
    assert prompt.get() == ""
    neg = build(field("negative_prompt", "string", default="", required=False))
    assert neg.get() == ""


def test_enum_dropdown_and_bad_choice() -> None:
    made = build(field("fmt", "enum", enum=("png", "jpeg", 3), default="jpeg"))
    assert isinstance(made.control, w.Dropdown) and made.get() == "jpeg"
    made.value = 3
    assert made.get() == 3
    made.value = "gif"
    assert made.error and "one of" in made.error
    assert made.get() == 3  # the previous good value stays


def test_seed_randomise_and_empty() -> None:
    seed = build(field("seed", "integer", role="seed", required=False))
    assert seed.get() is MISSING
    assert "fw-seed-random" in seed.button._dom_classes
    seen = []
    seed.observe(lambda f: seen.append(f.get()))
    seed.button.click()
    assert isinstance(seed.get(), int) and seen == [seed.get()]
    seed.control.value = "12x"
    assert seed.error == "Input should be a valid integer"
    seed.control.value = ""
    assert seed.get() is MISSING and seed.error is None


def test_image_size_presets_and_custom() -> None:
    made = build(IMAGE_SIZE)
    assert "fw-imagesize" in made.buttons._dom_classes
    assert made.get() == "landscape_4_3"
    made.buttons.value = "square_hd"
    assert made.get() == "square_hd"
    made.value = {"width": 640, "height": 480}
    assert made.buttons.value == "custom" and made.get() == {"width": 640, "height": 480}
    made._dims["width"].value = 0  # exclusiveMinimum 0
    assert made.error == "width: Input should be greater than 0"
    made._dims["width"].value = 800
    assert made.error is None and made.get() == {"width": 800, "height": 480}
    made.value = "bogus"
    assert made.error and "preset" in made.error


def test_optional_image_size_sends_nothing_by_default() -> None:
    made = build(IMAGE_SIZE.evolve(nullable=True, default=None))
    assert made.get() is MISSING and made.buttons.value == ""
    assert made.buttons._options_labels[0] == "default"
    made.value = "square"
    assert made.get() == "square"
    made.buttons.value = ""
    assert made.get() is MISSING
    made.value = {"width": 64, "height": 32}
    made.reset()
    assert made.get() is MISSING


def test_color_picker_round_trip() -> None:
    spec = FieldSpec(
        name="color",
        kind="object",
        ref="RGBColor",
        role="color",
        required=True,
        properties=tuple(FieldSpec(name=k, kind="integer") for k in "rgb"),
        default={"r": 255, "g": 128, "b": 0},
    )
    made = build(spec)
    assert isinstance(made.control, w.ColorPicker) and made.control.value == "#ff8000"
    made.control.value = "#102030"
    assert made.get() == {"r": 16, "g": 32, "b": 48}
    made.value = {"r": 300, "g": 0, "b": 0}
    assert made.error == "r, g and b should be between 0 and 255"


def test_json_string_is_checked() -> None:
    made = build(field("params", "string", role="json", default='{"a": 1}'))
    assert made.get() == '{"a": 1}'
    made.control.value = "{oops"
    assert made.error and made.error.startswith("Invalid JSON")
    made.control.value = "[1, 2]"
    assert made.error is None and made.get() == "[1, 2]"


def test_json_any_field() -> None:
    made = build(field("blob", "any"))
    made.value = {"k": [1, 2]}
    assert made.get() == {"k": [1, 2]}
    made.control.value = "{nope"
    assert made.error and made.error.startswith("Invalid JSON")


def test_file_upload_uses_the_uploader_and_shows_a_thumbnail() -> None:
    calls = []

    def uploader(data: bytes, content_type: str, name: str) -> str:
        calls.append((data, content_type, name))
        return f"https://cdn.example/{name}"

    made = build(field("image_url", "string", role="file", media="image"), uploader=uploader)
    assert "fw-file" in made.widget._dom_classes
    made.upload.value = (upfile("a<b>.png", "image/png", b"PNG"),)
    settle(made)
    assert calls == [(b"PNG", "image/png", "a<b>.png")]
    assert made.get() == "https://cdn.example/a<b>.png"
    assert 'class="fw-thumb"' in made.thumbs.value
    assert "<b>" not in made.thumbs.value and "a&lt;b&gt;.png" in made.thumbs.value


def test_default_upload_is_a_data_uri_and_failures_show_on_the_field() -> None:
    made = build(field("audio_url", "string", role="file", media="audio"))
    made.upload.value = (upfile("x.wav", "audio/wav", b"RIFF"),)
    settle(made)
    assert made.get() == "data:audio/wav;base64,UklGRg=="
    assert "<audio" in made.thumbs.value

    def broken(data: bytes, content_type: str, name: str) -> str:
        raise ConnectionError("storage down")

    failing = build(field("image_url", "string", role="file"), uploader=broken)
    failing.upload.value = (upfile("x.png", "image/png", b"x"),)
    settle(failing)
    assert failing.error == "Upload failed: storage down"
    assert failing.get() is MISSING


def test_several_files_and_file_objects() -> None:
    item = FieldSpec(name="", kind="string", role="file", media="image")
    many = build(field("image_urls", "array", role="file", items=item))
    many.value = ["https://x/a.png", "https://x/b.jpg"]
    assert many.get() == ["https://x/a.png", "https://x/b.jpg"]
    many.upload.value = (upfile("c.png", "image/png", b"c"),)
    settle(many)
    assert len(many.get()) == 3 and many.get()[2].startswith("data:image/png")
    rows = many.rows()
    assert len(rows) == 3 and all(r.thumbs.value.count("<img") == 1 for r in rows)
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
    made = build(file_obj)
    made.value = {"url": "https://x/a.png", "content_type": "image/png"}
    assert made.get() == {"url": "https://x/a.png", "content_type": "image/png"}
    made.control.value = "https://x/other.png"
    assert made.get() == {"url": "https://x/other.png"}


@pytest.mark.parametrize(
    "url",
    ["javascript:alert(1)", 'https://x/"><script>alert(1)</script>.png', "data:text/html,<b>"],
)
def test_previews_escape_and_refuse_unsafe_urls(url: str) -> None:
    out = preview_html(url, "image")
    assert "<script" not in out and "javascript:" not in out and "data:text" not in out


def test_list_add_remove_reorder_of_objects() -> None:
    lora = obj(
        field("path", "string"),
        field("scale", "number", minimum=0, maximum=4, default=1.0),
        name="LoraWeight",
    )
    made = build(field("loras", "array", required=False, items=lora, max_items=2))
    assert made.get() is MISSING
    made._add.click()
    assert made.get() == [{"scale": 1.0}]
    made.items[0].fields["path"].control.value = "a"
    made.append({"path": "b", "scale": 2.0})
    assert made.get() == [{"path": "a", "scale": 1.0}, {"path": "b", "scale": 2.0}]
    made.move(1, -1)
    assert [i["path"] for i in made.get()] == ["b", "a"]
    assert made.items[0].fields["path"].path == (0, "path")  # paths follow the new order
    made.append({"path": "c"})
    assert made.error == "List should have at most 2 items"
    made.remove(2)
    assert made.error is None
    made.items[1].fields["scale"].control.value = 9.0
    assert made.errors()[0]["loc"] == [1, "scale"]


def test_list_of_primitives() -> None:
    made = build(field("tags", "array", items=FieldSpec(name="", kind="integer", maximum=5)))
    made.value = [1, 2, 3]
    assert made.get() == [1, 2, 3]
    made.value = [1, 9]
    assert made.errors()[0]["loc"] == [1]


def test_union_branch_choice() -> None:
    made = build(
        field(
            "x",
            "union",
            variants=(field("n", "integer", title="number"), field("s", "string", title="text")),
            default=3,
        )
    )
    assert made.get() == 3
    made.value = "hello"
    assert made.choice.value == 1 and made.get() == "hello"
    made.choice.value = 0
    assert made.get() == 3  # the number branch kept its value


def test_nested_object_group() -> None:
    made = build(
        obj(field("a", "integer", default=1), field("b", "string", required=False), name="group")
    )
    assert "fw-group" in made.widget._dom_classes
    assert made.get() == {"a": 1}
    made.value = {"a": 2, "b": "x"}
    assert made.get() == {"a": 2, "b": "x"}


def test_observer_errors_are_shown_not_raised() -> None:
    made: FieldWidget = build(field("flag", "boolean", default=False))

    def bad(_: FieldWidget) -> None:
        raise RuntimeError("observer exploded")

    made.observe(bad)
    made.control.value = True  # must not raise
    assert made.error == "observer exploded"
