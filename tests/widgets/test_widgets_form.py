"""Whole forms: layout, two-way value, errors from the server, reset, examples, code, models."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field, ValidationError
from widget_specs import IMAGE_SIZE, field, obj

import falwidgets
from falwidgets.schema import FieldSpec, NoInputSchema, load_endpoint
from falwidgets.widgets import Form, form


@pytest.fixture
def flux(seeds_dir: Path) -> Form:
    return form(seeds_dir / "fal-ai__flux-realism.json")


def test_layout_main_first_advanced_lazy(flux: Form) -> None:
    assert "fw-form" in flux._dom_classes
    assert flux._advanced is not None and "fw-advanced" in flux._advanced._dom_classes
    assert "prompt" in flux._fields  # required: in the main section
    assert not flux.advanced_built  # optional fields wait for the section to open
    defaults = load_endpoint(flux._endpoint.document).defaults()
    assert {k: flux.value[k] for k in defaults} == defaults  # value works without opening
    flux._advanced.selected_index = 0  # opening builds them
    assert flux.advanced_built and "image_size" in flux._fields
    assert flux.value["image_size"] == "landscape_4_3"


def test_value_two_way(flux: Form) -> None:
    seen: list[dict] = []
    flux.observe(lambda ch: seen.append(ch["new"]), "value")
    flux.fields["prompt"].control.value = "a cat"
    assert flux.value["prompt"] == "a cat" and seen[-1]["prompt"] == "a cat"
    flux.value = {"prompt": "a dog", "num_inference_steps": 12, "image_size": "square"}
    assert flux.fields["num_inference_steps"].control.value == 12
    assert flux.fields["image_size"].get() == "square"
    assert flux.value["prompt"] == "a dog" and flux.value["guidance_scale"] == 3.5  # defaults stay
    assert flux.errors == []


def test_setting_an_advanced_value_builds_it_without_opening(seeds_dir: Path) -> None:
    made = form(seeds_dir / "fal-ai__flux-realism.json")
    made.value = {"prompt": "x", "num_images": 2}
    assert made.advanced_built and made._advanced.selected_index is None
    assert made.value["num_images"] == 2


def test_unknown_keys_are_reported(flux: Form) -> None:
    flux.value = {"prompt": "x", "nonsense": 1}
    assert {"loc": ["nonsense"], "msg": "Not a field of this form", "type": "extra_forbidden"} in (
        flux.errors
    )
    assert "nonsense" not in flux.value


def test_show_errors_maps_422_locations() -> None:
    lora = obj(field("path", "string"), field("scale", "number", default=1.0), name="LoraWeight")
    spec = obj(
        field("prompt", "string", role="prompt"),
        IMAGE_SIZE.evolve(required=False),
        field("loras", "array", items=lora, required=False, default=[]),
        name="Input",
    )
    made = form(spec)
    made.value = {"prompt": "p", "loras": [{"path": "a"}, {"path": "b"}], "image_size": "square"}
    detail = {
        "detail": [
            {"loc": ["body", "image_size", "width"], "msg": "too wide", "type": "x"},
            {"loc": ["body", "loras", 1, "scale"], "msg": "too strong", "type": "x"},
            {"loc": ["body", "prompt"], "msg": "unsafe", "type": "x"},
            {"loc": ["body"], "msg": "whole body wrong", "type": "x"},
        ]
    }
    unplaced = made.show_errors(detail)
    assert [e["msg"] for e in unplaced] == ["whole body wrong"]
    assert made.fields["image_size"].error == "width: too wide"
    assert made.fields["loras"].items[1].fields["scale"].error == "too strong"
    assert made.fields["prompt"].error == "unsafe"
    locs = sorted(str(e["loc"]) for e in made.errors)
    assert locs == sorted(str(x) for x in (["image_size"], ["loras", 1, "scale"], ["prompt"]))
    assert "whole body wrong" in made._message.value
    made.show_errors([])  # a new submission clears the old marks
    assert made.errors == []


def test_show_errors_opens_advanced_and_escapes(flux: Form) -> None:
    flux.show_errors([{"loc": ["body", "num_images"], "msg": "<b>no</b>", "type": "x"}])
    assert flux._advanced.selected_index == 0
    label = flux.fields["num_images"]._error_label
    assert label is not None and "&lt;b&gt;no&lt;/b&gt;" in label.value
    assert "fw-error" in label._dom_classes


def test_show_errors_reopens_a_built_but_collapsed_advanced_section(flux: Form) -> None:
    flux.open_advanced()
    flux._advanced.selected_index = None  # the user collapsed it again
    flux.show_errors([{"loc": ["body", "num_images"], "msg": "too many", "type": "x"}])
    assert flux._advanced.selected_index == 0


def test_reset_and_fill_example(seeds_dir: Path) -> None:
    made = form(seeds_dir / "anthonywu__gamecraft.json")
    schema = load_endpoint(seeds_dir / "anthonywu__gamecraft.json")
    before = dict(made.value)
    made.fill_example()
    example = schema.example()
    for key, value in example.items():
        if value is not None:
            assert made.value[key] == value, key
    assert made.value != before
    made.fields["seed"].control.value = "oops"
    assert made.errors
    made.reset()
    assert made.value == before and made.errors == []


def test_model_validates_and_marks(flux: Form) -> None:
    flux.value = {"prompt": "a cat", "num_inference_steps": 10}
    instance = flux.model()
    assert instance.prompt == "a cat"
    flux.value = {}
    with pytest.raises(ValidationError):
        flux.model()
    assert flux.fields["prompt"].error == "Field required"


def test_code_snippets_never_embed_the_key(flux: Form, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_KEY", "sekrit-key-123")
    flux.value = {"prompt": "a cat"}
    code = flux.code()
    assert "client.subscribe('fal-ai/flux-realism', arguments)" in code
    assert "fal_client.subscribe('fal-ai/flux-realism'" in code
    assert "'prompt': 'a cat'" in code and "sekrit" not in code and "sekrit" not in repr(flux)
    compile(flux.code("falwidgets"), "<snippet>", "exec")
    compile(flux.code("fal_client"), "<snippet>", "exec")
    for kind in ("javascript", "curl"):  # Copy code's other tabs: the key stays in $FAL_KEY
        assert '"prompt": "a cat"' in flux.code(kind)  # JSON arguments
        assert "sekrit" not in flux.code(kind)
    with pytest.raises(ValueError):
        flux.code("cobol")


def test_pydantic_model_forms() -> None:
    class Params(BaseModel):
        prompt: str
        steps: int = Field(20, ge=1, le=50, multiple_of=1)
        mode: Literal["fast", "slow"] = "fast"
        seed: int | None = None
        ratio: float = Field(1.0, gt=0, lt=4)

    made = falwidgets.form(Params)
    made.value = {"prompt": "hi", "steps": 30}
    instance = made.model()
    assert isinstance(instance, Params) and instance.steps == 30 and instance.mode == "fast"
    made.value = {"prompt": "hi", "steps": 80}
    assert made.fields["steps"].error == "Input should be less than or equal to 50"


def test_bad_sources() -> None:
    with pytest.raises(TypeError, match="form\\(\\) needs"):
        form(42)
    with pytest.raises(TypeError, match="object schema"):
        form(FieldSpec(name="x", kind="string"))


def test_no_input_schema(corpus_dir: Path) -> None:
    path = corpus_dir / "openrouter__router__openai__v1__chat__completions.json"
    with pytest.raises(NoInputSchema):
        form(path)


def test_expand_builds_advanced(seeds_dir: Path) -> None:
    made = form(seeds_dir / "fal-ai__toon-crafter.json", expand=True)
    assert made.advanced_built and made._advanced.selected_index == 0


def test_show_errors_takes_the_clients_422(flux: Form) -> None:
    error = falwidgets.ValidationError(
        "422", errors=[{"loc": ["body", "prompt"], "msg": "too short", "type": "x"}]
    )
    assert flux.show_errors(error) == []
    assert flux.fields["prompt"].error == "too short"
