"""JSON Schema constructs -> FieldSpec -> Pydantic, one construct at a time."""

from __future__ import annotations

from typing import Any, Literal

import pytest
from pydantic import BaseModel, Field, ValidationError

from falwidgets.schema import (
    MISSING,
    field_errors,
    load_endpoint,
    model_from_spec,
    spec_from_json_schema,
    spec_from_model,
)


def obj(**props: Any) -> dict[str, Any]:
    return {"type": "object", "properties": props}


def one(node: dict[str, Any], name: str = "f", **extra: Any) -> Any:
    return spec_from_json_schema({**obj(**{name: node}), **extra}).child(name)


def test_bounds_and_step() -> None:
    spec = one({"type": "number", "minimum": 0, "maximum": 1, "multipleOf": 0.25, "default": 0.5})
    assert (spec.minimum, spec.maximum, spec.multiple_of, spec.bounded) == (0, 1, 0.25, True)
    assert field_errors(spec, 0.75) == []
    assert field_errors(spec, 2)[0]["type"] == "less_than_equal"
    assert field_errors(spec, 0.3)[0]["type"] == "multiple_of"
    assert field_errors(spec, "x")[0]["loc"] == ("f",)


def test_openapi3_boolean_exclusive_minimum() -> None:
    spec = one({"type": "integer", "minimum": 0, "exclusiveMinimum": True})
    assert (spec.minimum, spec.exclusive_minimum) == (None, 0)
    assert field_errors(spec, 0)[0]["type"] == "greater_than"
    assert field_errors(spec, 1) == []


def test_string_lengths_and_pattern() -> None:
    spec = one({"type": "string", "minLength": 2, "maxLength": 4, "pattern": "^[a-z]+$"})
    assert field_errors(spec, "abc") == []
    assert field_errors(spec, "a")[0]["type"] == "string_too_short"
    assert field_errors(spec, "abcde")[0]["type"] == "string_too_long"
    assert field_errors(spec, "AB")[0]["type"] == "string_pattern_mismatch"


def test_invalid_pattern_is_dropped_with_warning() -> None:
    spec = one({"type": "string", "pattern": "(unclosed"})
    assert spec.pattern is None and "pattern" in spec.warnings[0]


def test_enum_literal_and_integer_enum() -> None:
    spec = one({"type": "integer", "enum": [4, 8, 16], "default": 8})
    assert spec.kind == "enum" and spec.enum == (4, 8, 16)
    assert field_errors(spec, 8) == []
    assert field_errors(spec, 5)[0]["type"] == "literal_error"


def test_enum_with_null_is_nullable() -> None:
    spec = one({"enum": ["a", "b", None]})
    assert spec.kind == "enum" and spec.nullable and spec.enum == ("a", "b")
    assert field_errors(spec, None) == []


def test_const() -> None:
    spec = one({"const": "fixed", "type": "string"})
    assert spec.kind == "const" and spec.const == "fixed"
    assert field_errors(spec, "other")[0]["type"] == "literal_error"


def test_x_or_null_and_openapi_nullable() -> None:
    a = one({"anyOf": [{"type": "integer", "minimum": 1}, {"type": "null"}], "title": "Seed"})
    b = one({"type": "integer", "nullable": True, "minimum": 1})
    c = one({"type": ["integer", "null"], "minimum": 1})
    for spec in (a, b, c):
        assert spec.kind == "integer" and spec.nullable and spec.minimum == 1
        assert field_errors(spec, None) == []
        assert field_errors(spec, 0)[0]["type"] == "greater_than_equal"
    assert a.title == "Seed"


def test_image_size_union() -> None:
    doc = {
        "components": {
            "schemas": {
                "ImageSize": {
                    "type": "object",
                    "properties": {
                        "width": {"type": "integer", "exclusiveMinimum": 0, "default": 512},
                        "height": {"type": "integer", "exclusiveMinimum": 0, "default": 512},
                    },
                }
            }
        },
        **obj(
            image_size={
                "anyOf": [
                    {"$ref": "#/components/schemas/ImageSize"},
                    {"type": "string", "enum": ["square", "portrait_4_3"]},
                    {"type": "null"},
                ],
                "default": "square",
            }
        ),
    }
    schema = load_endpoint(doc)
    spec = schema.input.child("image_size")
    assert spec.kind == "union" and spec.nullable and spec.role == "image_size"
    assert [v.kind for v in spec.variants] == ["object", "enum"]
    assert spec.variants[0].ref == "ImageSize"
    model = schema.input_model()
    assert model().model_dump()["image_size"] == "square"
    value = model(image_size={"width": 10, "height": 20}).model_dump(mode="json")
    assert value["image_size"] == {"width": 10, "height": 20}
    errors = field_errors(spec, {"width": 0, "height": 20})
    assert ("image_size", "ImageSize", "width") in [e["loc"] for e in errors]


def test_single_ref_all_of_wrapper_keeps_siblings() -> None:
    doc = {
        "components": {"schemas": {"Mode": {"type": "string", "enum": ["a", "b"]}}},
        **obj(
            mode={"allOf": [{"$ref": "#/components/schemas/Mode"}], "default": "b", "title": "M"}
        ),
    }
    spec = load_endpoint(doc).input.child("mode")
    assert (spec.kind, spec.enum, spec.default, spec.title, spec.ref) == (
        "enum",
        ("a", "b"),
        "b",
        "M",
        "Mode",
    )


def test_all_of_merges_objects() -> None:
    spec = one(
        {
            "allOf": [
                obj(a={"type": "string"}) | {"required": ["a"]},
                obj(b={"type": "integer"}),
            ]
        }
    )
    assert spec.kind == "object" and [p.name for p in spec.properties] == ["a", "b"]
    assert spec.child("a").required and not spec.child("b").required


def test_order_from_x_fal_order_properties() -> None:
    schema = {
        **obj(b={"type": "string"}, a={"type": "string"}, c={"type": "string"}),
        "x-fal-order-properties": ["c", "a", "missing"],
    }
    spec = spec_from_json_schema(schema)
    assert [p.name for p in spec.properties] == ["c", "a", "b"]


def test_arrays_with_limits_and_nested_objects() -> None:
    item = obj(path={"type": "string"}, scale={"type": "number", "default": 1.0}) | {
        "required": ["path"]
    }
    spec = one({"type": "array", "items": item, "minItems": 1, "maxItems": 2, "default": []})
    assert (spec.kind, spec.min_items, spec.max_items, spec.items.kind) == ("array", 1, 2, "object")
    assert field_errors(spec, [{"path": "x"}]) == []
    assert field_errors(spec, [])[0]["type"] == "too_short"
    locs = [e["loc"] for e in field_errors(spec, [{"path": "x"}, {"scale": 2}])]
    assert locs == [("f", 1, "path")]


def test_unique_items() -> None:
    spec = one({"type": "array", "items": {"type": "string"}, "uniqueItems": True})
    assert field_errors(spec, ["a", "b"]) == []
    assert "unique" in field_errors(spec, ["a", "a"])[0]["msg"]


def test_hints_important_hidden_media() -> None:
    spec = spec_from_json_schema(
        obj(
            src={"type": "string", "ui": {"field": "image", "important": True}},
            mask={"type": "string", "_fal_ui_field": "image_mask"},
            secret={"type": "string", "ui": {"hidden": True}},
            clip={
                "type": "string",
                "x-fal": {"max_file_size": 10485760, "timeout": 20},
                "limit_description": "10 MB",
            },
        )
    )
    src, mask, secret, clip = spec.properties
    assert (src.role, src.media, src.important) == ("file", "image", True)
    assert (mask.role, mask.media) == ("file", "mask")
    assert secret.hidden
    assert clip.hints == {"max_file_size": 10485760, "timeout": 20, "limit_description": "10 MB"}


@pytest.mark.parametrize(
    ("name", "node", "role", "media"),
    [
        ("prompt", {"type": "string"}, "prompt", None),
        ("negative_prompt", {"type": "string"}, "prompt", None),
        ("seed", {"type": "integer"}, "seed", None),
        ("seed", {"type": "string"}, None, None),  # the type comes first
        ("image_url", {"type": "string"}, "file", "image"),
        ("mask_image_url", {"type": "string"}, "file", "mask"),
        ("driving_video_url", {"type": "string"}, "file", "video"),
        ("audio_url", {"type": "string"}, "file", "audio"),
        ("model_url", {"type": "string"}, "file", "model3d"),
        ("data_url", {"type": "string"}, "file", "file"),
        ("image_urls", {"type": "array", "items": {"type": "string"}}, "file", "image"),
        ("return_urls", {"type": "boolean"}, None, None),
        ("actions", {"type": "string", "default": '["w", "a"]'}, "json", None),
        (
            "color",
            obj(r={"type": "integer"}, g={"type": "integer"}, b={"type": "integer"}),
            "color",
            None,
        ),
        (
            "reference",
            obj(url={"type": "string"}, content_type={"type": "string"}),
            "file",
            "file",
        ),
    ],
)
def test_roles(name: str, node: dict[str, Any], role: str | None, media: str | None) -> None:
    spec = one(node, name)
    assert (spec.role, spec.media) == (role, media)


def test_recursive_ref_does_not_recurse_forever() -> None:
    doc = {
        "components": {
            "schemas": {
                "Node": obj(
                    label={"type": "string"},
                    children={"type": "array", "items": {"$ref": "#/components/schemas/Node"}},
                )
            }
        },
        **obj(tree={"$ref": "#/components/schemas/Node"}),
    }
    schema = load_endpoint(doc)
    children = schema.input.child("tree").child("children")
    assert children.items.kind == "any" and "recursive" in children.items.warnings[0]
    schema.input_model().model_validate({"tree": {"label": "a", "children": [{"label": "b"}]}})


def test_odd_property_names_become_aliases() -> None:
    schema = obj(**{"model_config": {"type": "string"}, "class": {"type": "integer"}})
    schema["properties"]["2d-mode"] = {"type": "boolean"}
    schema["properties"]["json"] = {"type": "string"}
    schema["required"] = ["class"]
    model = model_from_spec(spec_from_json_schema(schema))
    value = {"model_config": "x", "class": 3, "2d-mode": True, "json": "{}"}
    instance = model.model_validate(value)
    assert instance.model_dump(mode="json", exclude_unset=True) == value
    errors = ValidationError
    with pytest.raises(errors) as info:
        model.model_validate({"class": "nope"})
    assert info.value.errors()[0]["loc"] == ("class",)


def test_required_without_default_and_optional_without_default() -> None:
    spec = spec_from_json_schema(
        obj(a={"type": "string"}, b={"type": "integer"}) | {"required": ["a"]}
    )
    assert spec.child("a").required and spec.child("b").default is MISSING
    assert field_errors(spec.child("a")) == [
        {"loc": ("a",), "msg": "Field required", "type": "missing"}
    ]
    assert field_errors(spec.child("b")) == []
    model = model_from_spec(spec)
    assert model(a="x").model_dump() == {"a": "x", "b": None}
    assert model.model_validate({"a": "x", "b": None}).b is None  # as fal's own models accept


def test_non_object_spec_becomes_value_model() -> None:
    model = model_from_spec(spec_from_json_schema({"type": "integer", "maximum": 3}))
    assert model(value=2).value == 2
    with pytest.raises(ValidationError):
        model(value=4)


class _Lora(BaseModel):
    path: str
    scale: float = Field(1.0, ge=0, le=4)


class _User(BaseModel):
    """A user's own model."""

    prompt: str = Field(..., description="What to draw", examples=["a cat"])
    steps: int = Field(20, ge=1, le=50, multiple_of=1)
    mode: Literal["fast", "slow"] = "fast"
    seed: int | None = None
    loras: list[_Lora] = Field(default_factory=list, max_length=3)


def test_spec_from_model_shares_the_converter() -> None:
    spec = spec_from_model(_User)
    assert [p.name for p in spec.properties] == ["prompt", "steps", "mode", "seed", "loras"]
    prompt, steps, mode, seed, loras = spec.properties
    assert prompt.required and prompt.role == "prompt" and prompt.examples == ("a cat",)
    assert (steps.minimum, steps.maximum, steps.default) == (1, 50, 20)
    assert mode.kind == "enum" and mode.enum == ("fast", "slow")
    assert seed.nullable and seed.role == "seed"
    assert loras.items.kind == "object" and loras.items.ref == "_Lora"
    assert loras.max_items == 3
    model = model_from_spec(spec)
    value = {"prompt": "x", "loras": [{"path": "p", "scale": 2}]}
    assert model.model_validate(value).model_dump() == _User.model_validate(value).model_dump()
    locs = [e["loc"] for e in field_errors(loras, [{"path": "p", "scale": 9}])]
    assert locs == [("loras", 0, "scale")]
    with pytest.raises(TypeError, match="BaseModel"):
        spec_from_model(dict)  # type: ignore[arg-type]


def test_field_errors_adapter_is_cached() -> None:
    from falwidgets.schema._validate import _adapter

    spec = one({"type": "integer"})
    assert _adapter(spec) is _adapter(spec)
