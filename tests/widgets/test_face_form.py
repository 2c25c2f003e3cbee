"""Form (one anywidget per form): spec JSON, layout, value/errors, show_errors, handles,
uploads through binary messages, code, and the ES module it ships."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from falwidgets.schema import MISSING, load_endpoint
from falwidgets.widgets._form import Form, data_uri_uploader, form, set_at
from falwidgets.widgets._spec_json import choice_label, control_for, layout, spec_json
from widget_specs import IMAGE_SIZE, field, obj


@pytest.fixture
def flux(seeds_dir: Path) -> Form:
    return form(seeds_dir / "fal-ai__flux-realism.json")


def _browser_sets(form: Form, value: dict) -> None:
    """What an edit in the browser does: a state update under the property lock."""
    form.set_state({"value": value})


def test_one_widget_model_with_its_bundle(flux: Form) -> None:
    state = flux.get_state()
    assert {"spec", "value", "errors", "_esm", "_css"} <= set(state)
    assert "mountForm" not in state["_esm"] or "export" in state["_esm"]  # minified ES module
    assert "--fw-bg" in state["_css"]
    assert not getattr(flux, "children", ())  # no ipywidgets children: one model
    json.dumps(state["spec"])  # the tree is plain JSON


def test_layout_puts_prompt_size_count_seed_up_front(flux: Form) -> None:
    lay = flux.spec["layout"]
    assert lay["main"] == ["prompt", "image_size", "num_images", "seed"]
    rest = [name for g in lay["groups"] for name in g["fields"]]
    assert "num_inference_steps" in rest and "prompt" not in rest


def test_big_form_groups_settings_by_enable_switches() -> None:
    spec = load_endpoint("fal-ai/post-processing").input
    lay = layout(spec)
    assert lay["main"] == ["image_url"]  # never empty; gated files stay with their switch
    grain = next(g for g in lay["groups"] if g["gate"] == "enable_grain")
    assert grain["title"] == "Grain"
    assert grain["fields"] == ["grain_intensity", "grain_scale", "grain_style"]
    dissolve = next(g for g in lay["groups"] if g["gate"] == "enable_dissolve")
    assert "dissolve_image_url" in dissolve["fields"]
    every = [n for g in lay["groups"] for n in g["fields"]] + [
        g["gate"] for g in lay["groups"] if g["gate"]
    ]
    visible = {p.name for p in spec.properties if not p.hidden}
    assert set(every) | set(lay["main"]) == visible and len(every) == len(set(every))


def test_form_with_no_required_field_still_has_a_main_section() -> None:
    spec = obj(*(field(f"f{i}", "string", required=False, default="x") for i in range(5)))
    assert layout(spec)["main"] == ["f0", "f1", "f2"]


def test_image_size_presets_have_human_labels_and_real_sizes(flux: Form) -> None:
    node = next(p for p in flux.spec["properties"] if p["name"] == "image_size")
    assert node["control"] == "image_size"
    by_value = {p["value"]: p for p in node["presets"]}
    assert by_value["landscape_4_3"]["label"] == "Landscape 4:3"
    assert (by_value["landscape_4_3"]["width"], by_value["landscape_4_3"]["height"]) == (1024, 768)
    assert by_value["square_hd"]["label"] == "Square HD"
    assert node["custom"]["kind"] == "object"


def test_choice_labels() -> None:
    assert choice_label("portrait_16_9") == "Portrait 16:9"
    assert choice_label("auto_2K") == "Auto 2K"
    assert choice_label("jpeg") == "JPEG"
    assert choice_label(3) == "3"


def test_controls_come_from_the_registry_table() -> None:
    spec = obj(
        field("prompt", "string", role="prompt"),
        field("seed", "integer", role="seed", required=False),
        field("image_url", "string", role="file", media="image"),
        field("image_urls", "array", items=field("u", "string", role="file", media="image")),
        field("mode", "enum", enum=("a", "b")),
        field("on", "boolean"),
        field("n", "integer", minimum=1, maximum=4),
        field("meta", "object"),
        IMAGE_SIZE,
    )
    names = {p.name: control_for(p) for p in spec.properties}
    assert names == {
        "prompt": "prompt",
        "seed": "seed",
        "image_url": "file",
        "image_urls": "files",
        "mode": "enum",
        "on": "boolean",
        "n": "number",
        "meta": "json",
        "image_size": "image_size",
    }
    n = next(p for p in spec_json(spec)["properties"] if p["name"] == "n")
    assert n["slider"] is True and n["step"] == 1


def test_value_from_python_keeps_defaults_and_reports_unknown_keys(flux: Form) -> None:
    flux.value = {"prompt": "a dog", "num_inference_steps": 12, "nonsense": 1}
    assert flux.value["guidance_scale"] == 3.5 and "nonsense" not in flux.value
    assert {"loc": ["nonsense"], "msg": "Not a field of this form", "type": "extra_forbidden"} in (
        flux.errors
    )


def test_value_from_the_browser_is_taken_as_is_and_checked(flux: Form) -> None:
    value = {k: v for k, v in flux.value.items() if k != "guidance_scale"}
    _browser_sets(flux, {**value, "prompt": "x", "num_inference_steps": "many"})
    assert "guidance_scale" not in flux.value  # a switched-off field stays off
    locs = [e["loc"] for e in flux.errors]
    assert ["num_inference_steps"] in locs
    _browser_sets(flux, {**value, "prompt": "x", "num_inference_steps": 5})
    assert flux.errors == []


def test_required_fields_are_reported_on_validate_not_while_typing(flux: Form) -> None:
    assert flux.errors == []  # a fresh form is not red
    errors = flux.validate()
    assert errors == [{"loc": ["prompt"], "msg": "Field required", "type": "missing"}]


def test_show_errors_accepts_every_shape_and_keeps_marks_until_the_field_changes(
    flux: Form,
) -> None:
    sent: list = []
    flux.send = lambda msg, buffers=None: sent.append(msg)  # type: ignore[method-assign]
    unplaced = flux.show_errors(
        {"detail": [{"loc": ["body", "num_images"], "msg": "too many"}, {"loc": [], "msg": "x"}]}
    )
    assert unplaced == [{"loc": [], "msg": "x"}]
    assert {"loc": ["num_images"], "msg": "too many", "type": ""} in flux.errors
    assert sent[-1] == {"type": "focus_error"}
    assert flux.fields["num_images"].error == "too many"
    flux.fields["num_images"].value = 2  # editing the field clears the server's mark
    assert flux.fields["num_images"].error is None

    class M(BaseModel):
        num_images: int = Field(le=1)

    with pytest.raises(ValidationError) as info:
        M(num_images=5)
    flux.show_errors(info.value)
    assert "less than or equal to 1" in (flux.fields["num_images"].error or "")
    flux.show_errors(info.value.errors())
    assert flux.fields["num_images"].error


def test_model_validates_and_marks(flux: Form) -> None:
    with pytest.raises(ValidationError):
        flux.model()
    assert flux.fields["prompt"].error == "Field required"
    flux.fields["prompt"].value = "a cat"
    assert flux.model().prompt == "a cat"


def test_reset_and_example(flux: Form) -> None:
    flux.fill_example()
    assert flux.value["prompt"]
    flux.fields["num_images"].value = 3
    flux.fields["num_images"].reset()
    assert flux.value["num_images"] == 1
    flux.reset()
    assert "prompt" not in flux.value and flux.errors == []


def test_null_example_means_not_set_and_round_trips() -> None:
    spec = obj(
        field("mode", "const", const="fast", nullable=True, required=False, examples=(None,)),
        field("text", "string", required=False),
    )
    form = Form(spec)
    node = next(p for p in form.spec["properties"] if p["name"] == "mode")
    assert node["optional"] is True and "initial" not in node
    assert "mode" not in form.value
    _browser_sets(form, {"mode": None})
    assert form.value == {"mode": None} and form.errors == []


def test_pydantic_model_form_and_code(flux: Form) -> None:
    class In(BaseModel):
        text: str = "hi"
        style: Literal["a", "b"] = "a"

    made = form(In)
    assert made.value == {"text": "hi", "style": "a"}
    code = flux.code("falwidgets")
    assert "fal-ai/flux-realism" in code and "FAL_KEY" in code
    assert "fal.subscribe" in flux.code("javascript")
    assert "curl" in flux.code("curl")


def test_uploads_travel_as_binary_messages_and_land_in_value(seeds_dir: Path) -> None:
    seen: list[tuple[bytes, str, str]] = []

    def uploader(data: bytes, content_type: str, name: str) -> str:
        seen.append((data, content_type, name))
        return "https://cdn.example/" + name

    made = form("fal-ai/post-processing", uploader=uploader)
    msg = {"type": "upload", "path": ["image_url"], "name": "cat.png", "mime": "image/png"}
    made._on_message(made, msg, [memoryview(b"\x89PNG data")])
    assert made.uploading or made.value.get("image_url")
    made.wait_uploads(10)
    assert seen == [(b"\x89PNG data", "image/png", "cat.png")]
    assert made.value["image_url"] == "https://cdn.example/cat.png"
    assert "image_url" not in made.uploads  # no leftover spinner or "(0)" counter


def test_a_failed_upload_says_why_beside_the_field() -> None:
    def broken(data: bytes, content_type: str, name: str) -> str:
        raise OSError("storage is down")

    made = form("fal-ai/post-processing", uploader=broken)
    made._on_message(made, {"type": "upload", "path": ["image_url"], "name": "a.png"}, [b"x"])
    made.wait_uploads(10)
    state = made.uploads["image_url"]
    assert state["state"] == "failed" and "storage is down" in state["error"]
    made._on_message(made, {"type": "upload", "path": ["nope"], "name": "b.png"}, [b"x"])
    assert made.uploads["nope"]["state"] == "failed"


def test_data_uri_uploader_and_set_at() -> None:
    assert data_uri_uploader(b"hi", "text/plain", "a.txt") == "data:text/plain;base64,aGk="
    assert set_at({"a": [1]}, ["a", 1], 2) == {"a": [1, 2]}
    assert set_at({}, ["b", "c"], 3) == {"b": {"c": 3}}


def test_every_corpus_endpoint_serialises(seeds_dir: Path) -> None:
    from falwidgets.schema import catalog

    started = time.monotonic()
    count = 0
    for endpoint_id in catalog()[:400]:
        try:
            schema = load_endpoint(endpoint_id)
        except Exception:
            continue
        if schema.input is None:
            continue
        data = spec_json(schema.input)
        assert json.loads(json.dumps(data))["layout"]["main"] or not schema.input.properties
        count += 1
    assert count > 100, (count, time.monotonic() - started)
    assert MISSING is not None
