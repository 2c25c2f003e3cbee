"""The whole real corpus: every document loads, every model builds, examples round trip."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from falwidgets.schema import EndpointSchema, NoInputSchema

NO_INPUT = {
    "openrouter/router/openai/v1/chat/completions",
    "openrouter/router/openai/v1/embeddings",
    "openrouter/router/openai/v1/responses",
    "perceptron/isaac-01/openai/v1/chat/completions",
}


def _roundtrip(model: type[BaseModel], value: dict[str, Any]) -> None:
    first = model.model_validate(value)
    data = first.model_dump(mode="json")
    second = model.model_validate(data)
    assert second == first
    assert second.model_dump(mode="json") == data


@pytest.fixture(scope="module")
def loaded(corpus_schemas: dict[str, EndpointSchema]) -> dict[str, EndpointSchema]:
    return corpus_schemas


def test_corpus_size(corpus_docs: dict[str, dict[str, Any]]) -> None:
    assert len(corpus_docs) == 1340


def test_every_document_loads_with_input_and_output(loaded: dict[str, EndpointSchema]) -> None:
    no_input = {s.endpoint_id for s in loaded.values() if s.input is None}
    assert no_input == NO_INPUT
    for key, schema in loaded.items():
        assert schema.endpoint_id and "/" in schema.endpoint_id, key
        if schema.input is not None:
            assert schema.input.kind == "object" and schema.input.properties, key
        assert schema.output is not None, key
        assert schema.output.kind in ("object", "any"), key


def test_endpoints_without_input_raise_no_input_schema(loaded: dict[str, EndpointSchema]) -> None:
    for schema in loaded.values():
        if schema.endpoint_id in NO_INPUT:
            with pytest.raises(NoInputSchema, match="no input schema") as info:
                schema.input_model()
            assert info.value.endpoint_id == schema.endpoint_id
            with pytest.raises(NoInputSchema):
                schema.example()
            assert any("no input schema" in w for w in schema.warnings)


def test_every_model_builds_and_defaults_and_examples_round_trip(
    loaded: dict[str, EndpointSchema],
) -> None:
    failures: list[str] = []
    checked = 0
    for key, schema in loaded.items():
        if schema.input is None:
            continue
        try:
            model = schema.input_model()
            assert model is schema.input_model()  # cached
            schema.output_model()
            example = schema.example()
            required = {p.name for p in schema.input.properties if p.required}
            assert required <= set(example), f"missing required {required - set(example)}"
            _roundtrip(model, example)
            _roundtrip(model, {**example, **schema.defaults()})
            checked += 1
        except Exception as exc:  # collect all, report together
            failures.append(f"{key}: {exc!r}"[:300])
    assert not failures, "\n".join(failures[:20])
    assert checked == 1336


def test_defaults_are_the_declared_defaults(loaded: dict[str, EndpointSchema]) -> None:
    """Only the two defaults of the wrong type that cannot be read another way are left out."""
    dropped = []
    for schema in loaded.values():
        if schema.input is None:
            continue
        defaults = schema.defaults()
        for prop in schema.input.properties:
            if prop.has_default and prop.name not in defaults:
                dropped.append((schema.endpoint_id, prop.name))
            elif prop.has_default:
                assert defaults[prop.name] == prop.default or isinstance(prop.default, BaseModel)
    assert len(dropped) <= 2, dropped


def test_examples_use_the_first_declared_example(loaded: dict[str, EndpointSchema]) -> None:
    schema = loaded["endpoints/fal-ai__flux__dev"]
    example = schema.example()
    assert example["prompt"].startswith("Extreme close-up of a single tiger eye")
    assert example["image_size"] == "landscape_4_3"  # no example: the default
    assert "seed" not in example  # neither: left out
