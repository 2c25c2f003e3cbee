"""Whole forms: layout, two-way value, errors from the server, reset, examples, code, models."""

from __future__ import annotations

from pathlib import Path
from typing import Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

import falwidgets
from falwidgets.schema import FieldSpec, NoInputSchema, load_endpoint
from falwidgets.widgets import Form, form
from widget_specs import IMAGE_SIZE, field, obj


@pytest.fixture
def flux(seeds_dir: Path) -> Form:
    return form(seeds_dir / "fal-ai__flux-realism.json")


def test_layout_main_first_advanced_lazy(flux: Form) -> None:
    layout = flux.spec["layout"]
    assert "prompt" in layout["main"]  # required: in the main section
    assert "image_size" in layout["main"]  # the Playground's up-front fields
    advanced = [name for group in layout["groups"] for name in group["fields"]]
    assert "num_inference_steps" in advanced  # the rest under Additional settings
    defaults = load_endpoint(flux._endpoint.document).defaults()
    assert {k: flux.value[k] for k in defaults} == defaults  # value works without opening
    assert flux.value["image_size"] == "landscape_4_3"


def test_value_two_way(flux: Form) -> None:
    seen: list[dict] = []
    flux.observe(lambda ch: seen.append(ch["new"]), "value")
    flux.fields["prompt"].value = "a cat"  # as the browser's control does
    assert flux.value["prompt"] == "a cat" and seen[-1]["prompt"] == "a cat"
    flux.value = {**flux.value, "prompt": "a dog", "num_inference_steps": 12}
    flux.value = {**flux.value, "image_size": "square"}
    assert flux.fields["num_inference_steps"].value == 12
    assert flux.fields["image_size"].value == "square"
    assert flux.value["prompt"] == "a dog" and flux.value["guidance_scale"] == 3.5  # defaults stay
    assert flux.errors == []


def test_setting_an_advanced_value_needs_no_opening(seeds_dir: Path) -> None:
    made = form(seeds_dir / "fal-ai__flux-realism.json")
    made.value = {"prompt": "x", "num_images": 2}
    assert made.value["num_images"] == 2 and made.errors == []


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
    assert made.fields["loras"].error == "1.scale: too strong"
    assert made.fields["prompt"].error == "unsafe"
    locs = sorted(str(e["loc"]) for e in made.errors)
    expected = ([], ["image_size", "width"], ["loras", 1, "scale"], ["prompt"])
    assert locs == sorted(str(x) for x in expected)
    assert {"loc": [], "msg": "whole body wrong", "type": "x"} in made.errors  # above the form
    made.show_errors([])  # a new submission clears the old marks
    assert made.errors == []


def test_show_errors_keeps_text_and_asks_the_browser_to_focus(flux: Form) -> None:
    sent: list[dict] = []
    flux.send = lambda msg, buffers=None: sent.append(msg)  # type: ignore[method-assign]
    flux.show_errors([{"loc": ["body", "num_images"], "msg": "<b>no</b>", "type": "x"}])
    # the message stays text (the browser draws it with textContent, never as HTML)
    assert flux.fields["num_images"].error == "<b>no</b>"
    assert {"type": "focus_error"} in sent  # the browser opens its section and focuses it


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
    made.fields["seed"].value = "oops"
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


def test_show_errors_takes_the_clients_422(flux: Form) -> None:
    error = falwidgets.InputRejected(
        "422", errors=[{"loc": ["body", "prompt"], "msg": "too short", "type": "x"}]
    )
    assert flux.show_errors(error) == []
    assert flux.fields["prompt"].error == "too short"
