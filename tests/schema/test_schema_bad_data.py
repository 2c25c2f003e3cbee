"""The real defects listed in form-conventions.md (b) "Bad data a generator must survive"."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from falwidgets.schema import NoInputSchema, field_errors, load_endpoint
from falwidgets.schema._endpoint import EndpointSchema


def _doc(corpus_docs: dict[str, dict[str, Any]], endpoint_id: str) -> EndpointSchema:
    return EndpointSchema(corpus_docs["endpoints/" + endpoint_id.replace("/", "__")])


def test_dangling_lora_ref_becomes_one_untyped_field(corpus_schemas: dict[str, Any]) -> None:
    hits = []
    for key, schema in corpus_schemas.items():
        for spec in schema.input.walk() if schema.input else ():
            if any("fal-ai_flux-2-klein_LoRAInput" in w for w in spec.warnings):
                hits.append((key, spec))
    assert len({key for key, _ in hits}) == 6
    for key, spec in hits:
        assert spec.kind == "any", key
        schema = corpus_schemas[key]
        schema.input_model().model_validate(schema.example())  # the rest of the form still works


@pytest.mark.parametrize("name", ["TrackPoint", "TrajectoryPoint"])
def test_other_dangling_refs(corpus_schemas: dict[str, Any], name: str) -> None:
    found = 0
    for schema in corpus_schemas.values():
        broken = [w for w in schema.warnings if f"schemas/{name}'" in w]
        if broken:
            found += 1
            assert "unresolved $ref" in broken[0]
            schema.input_model()
    assert found == 1


@pytest.mark.parametrize(
    "endpoint_id",
    [
        "openrouter/router/openai/v1/chat/completions",
        "openrouter/router/openai/v1/embeddings",
        "openrouter/router/openai/v1/responses",
        "perceptron/isaac-01/openai/v1/chat/completions",
    ],
)
def test_no_input_schema(corpus_docs: dict[str, Any], endpoint_id: str) -> None:
    schema = _doc(corpus_docs, endpoint_id)
    assert schema.input is None
    with pytest.raises(NoInputSchema, match=r"no input schema for .*unresolved \$ref"):
        schema.input_model()
    schema.output_model()  # the output side is unaffected


def test_empty_output_schema(corpus_docs: dict[str, Any]) -> None:
    schema = _doc(corpus_docs, "bria/reimagine/3.2")
    assert schema.output is not None
    model = schema.output_model()
    assert model.model_validate({"anything": 1}) is not None
    schema.input_model().model_validate(schema.example())


def test_string_field_with_integer_default_is_coerced(corpus_docs: dict[str, Any]) -> None:
    schema = _doc(corpus_docs, "fal-ai/fast-lightning-sdxl")
    steps = schema.input.child("num_inference_steps")
    assert steps.default == "4" and isinstance(steps.default, str)
    assert any("coerced" in w for w in steps.warnings)
    assert schema.defaults()["num_inference_steps"] == "4"
    model = schema.input_model()
    assert model(prompt="x").model_dump()["num_inference_steps"] == "4"


def test_hunyuan_num_frames_defaults_coerced(corpus_schemas: dict[str, Any]) -> None:
    coerced = 0
    for schema in corpus_schemas.values():
        if schema.input is None or "hunyuan" not in schema.endpoint_id:
            continue
        spec = next((p for p in schema.input.properties if p.name == "num_frames"), None)
        if spec is not None and any("coerced" in w for w in spec.warnings):
            assert spec.default == "129" and "129" in spec.enum
            coerced += 1
    assert coerced == 5


def test_float_default_on_integer_field_is_kept_and_still_round_trips(
    corpus_docs: dict[str, Any],
) -> None:
    schema = _doc(corpus_docs, "fal-ai/flowedit")
    spec = schema.input.child("src_guidance_scale")
    assert spec.kind == "integer" and spec.default == 1.5
    assert any("kept as is" in w for w in spec.warnings)
    model = schema.input_model()
    instance = model.model_validate(schema.example())
    assert instance.model_dump()["src_guidance_scale"] == 1.5  # fal's own omitted-field value
    assert model.model_validate(instance.model_dump(mode="json")) == instance
    with pytest.raises(ValidationError):
        model.model_validate({**schema.example(), "src_guidance_scale": 2.5})


@pytest.mark.parametrize(
    "endpoint_id",
    [
        "fal-ai/heygen/avatar4/image-to-video",
        "fal-ai/heygen/avatar3/digital-twin",
        "fal-ai/heygen/avatar4/digital-twin",
    ],
)
def test_enum_without_type_beside_a_nullable_union(
    corpus_docs: dict[str, Any], endpoint_id: str
) -> None:
    """`{"enum": [...], "anyOf": [string, null]}`: both apply, so it is a nullable enum."""
    schema = _doc(corpus_docs, endpoint_id)
    voice = next(s for s in schema.input.walk() if s.name == "voice" and s.kind != "union")
    if voice.kind == "object":
        voice = voice.child("voice")
    assert voice.kind == "enum" and voice.nullable and len(voice.enum) > 100
    assert "Ivy" in voice.enum
    assert field_errors(voice, "Ivy") == [] and field_errors(voice, None) == []
    assert field_errors(voice, "Nobody")[0]["type"] == "literal_error"


def test_untyped_nodes_become_any_with_a_warning(corpus_schemas: dict[str, Any]) -> None:
    anys = 0
    for schema in corpus_schemas.values():
        for spec in schema.input.walk() if schema.input else ():
            if spec.kind == "any":
                anys += 1
                assert spec.warnings, (schema.endpoint_id, spec.name)
                assert field_errors(spec, {"free": ["form"]}) == []
    assert anys >= 15


def test_suffix_lies_boolean_urls(corpus_docs: dict[str, Any]) -> None:
    schema = _doc(corpus_docs, "fal-ai/bytedance/seedream/v5/lite/text-to-image")
    spec = schema.input.child("return_byteplus_urls")
    assert spec.kind == "boolean" and spec.role is None and spec.media is None


def test_suffix_lies_url_that_is_a_video_object(corpus_docs: dict[str, Any]) -> None:
    schema = _doc(corpus_docs, "cassetteai/video-sound-effects-generator")
    spec = schema.input.child("video_url")
    assert spec.kind == "object" and spec.ref == "Video"
    assert (spec.role, spec.media) == ("file", "video")
    example = schema.example()  # its examples are bare URL strings: wrapped as {"url": ...}
    assert example["video_url"] == {"url": spec.examples[0]}
    schema.input_model().model_validate(example)


def test_component_title_differs_from_name(corpus_docs: dict[str, Any]) -> None:
    schema = _doc(corpus_docs, "fal-ai/flux/dev")
    assert schema.document["components"]["schemas"]["FluxDevInput"]["title"] == "BaseInput"
    assert schema.input.child("prompt").required
    assert schema.input_model().__name__ == "FalAiFluxDevInput"


def test_ref_siblings_are_honoured() -> None:
    doc = {
        "components": {
            "schemas": {"Size": {"type": "integer", "description": "inner", "maximum": 9}}
        },
        "type": "object",
        "properties": {
            "size": {"$ref": "#/components/schemas/Size", "description": "outer", "default": 3}
        },
    }
    spec = load_endpoint(doc).input.child("size")
    assert (spec.kind, spec.description, spec.default, spec.maximum) == ("integer", "outer", 3, 9)
    assert spec.ref == "Size"


def test_big_enums_survive(corpus_schemas: dict[str, Any]) -> None:
    big = 0
    for schema in corpus_schemas.values():
        for spec in schema.input.properties if schema.input else ():
            if spec.kind == "enum" and len(spec.enum) > 100:
                big += 1
                assert field_errors(spec, spec.enum[-1]) == []
                assert field_errors(spec, "not a choice")[0]["type"] == "literal_error"
    assert big >= 10
