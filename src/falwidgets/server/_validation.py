"""Input validation with fal's 422 shape, and models for endpoint documents.

The demo endpoints validate with Pydantic models built from their real fal OpenAPI documents by
the schema layer (`falwidgets.schema.load_endpoint`). A small fallback builder covers documents the
schema layer cannot load (and the time before it exists), checking top-level types, bounds, enums
and required fields.
"""

from __future__ import annotations

import json
import logging
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, create_model
from pydantic import ValidationError as PydanticValidationError

log = logging.getLogger("falwidgets.server")


def pydantic_detail(exc: PydanticValidationError) -> list[dict[str, Any]]:
    """pydantic errors -> fal/FastAPI `detail` items with `loc` prefixed by "body"."""
    detail: list[dict[str, Any]] = []
    for error in exc.errors(include_url=False):
        item: dict[str, Any] = {
            "loc": ["body", *error.get("loc", ())],
            "msg": error.get("msg", "invalid value"),
            "type": error.get("type", "value_error"),
        }
        if "ctx" in error:
            item["ctx"] = _json_safe(error["ctx"])
        if "input" in error and error["type"] != "missing":
            item["input"] = _json_safe(error["input"])
        detail.append(item)
    return detail


def _json_safe(value: Any) -> Any:
    try:
        json.dumps(value, allow_nan=False)  # what the JSON response will require
        return value
    except (TypeError, ValueError):
        return str(value)


def validate_input(model: type[BaseModel] | None, arguments: Any) -> tuple[Any, list | None]:
    """(model instance, None) or (None, fal 422 detail)."""
    if not isinstance(arguments, dict):
        return None, [
            {"loc": ["body"], "msg": "Input should be a JSON object", "type": "model_type"}
        ]
    if model is None:
        return arguments, None
    try:
        return model.model_validate(arguments), None
    except PydanticValidationError as exc:
        return None, pydantic_detail(exc)


def document_models(document: dict[str, Any]) -> tuple[type[BaseModel], type[BaseModel] | None]:
    """Input and output models of a fal endpoint document (schema layer, else the fallback)."""
    try:
        from falwidgets.schema import load_endpoint  # type: ignore[attr-defined]
    except ImportError:
        load_endpoint = None
    if load_endpoint is not None:
        try:
            schema = load_endpoint(document)
            return schema.input_model(), schema.output_model()
        except Exception as exc:  # a schema-layer gap must not take the server down
            log.warning("schema layer could not build models (%s); using the fallback", exc)
    input_name, output_name = component_names(document)
    components = document.get("components", {}).get("schemas", {})
    return (
        fallback_model(components[input_name], components, input_name),
        fallback_model(components[output_name], components, output_name) if output_name else None,
    )


def component_names(document: dict[str, Any]) -> tuple[str, str | None]:
    """Names of the Input and Output components (fal-schemas/README.md: both document kinds)."""
    derived = document.get("x-falschemas-derived")
    if derived:
        return derived["input_schema"], derived.get("output_schema")
    input_name = output_name = None
    for path, ops in document.get("paths", {}).items():
        if "/requests/" not in path and "post" in ops:
            ref = ops["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"]
            input_name = ref.rsplit("/", 1)[-1]
        if path.endswith("/requests/{request_id}") and "get" in ops:
            ref = ops["get"]["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
            output_name = ref.rsplit("/", 1)[-1]
    if input_name is None:
        raise ValueError("document has no input schema")
    return input_name, output_name


_PRIMITIVES: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool}


def _annotation(node: dict[str, Any], components: dict[str, Any]) -> Any:
    if "$ref" in node:
        return dict[str, Any]
    if "allOf" in node and len(node["allOf"]) == 1:
        return _annotation(node["allOf"][0], components)
    if "enum" in node:
        return Literal[tuple(node["enum"])]  # type: ignore[misc]
    kind = node.get("type")
    if kind in _PRIMITIVES:
        return _PRIMITIVES[kind]
    if kind == "array":
        return list[Any]
    if kind == "object":
        return dict[str, Any]
    return Any


def fallback_model(
    schema: dict[str, Any], components: dict[str, Any], name: str
) -> type[BaseModel]:
    """A permissive model: top-level types, enums, bounds and required fields only."""
    required = set(schema.get("required", []))
    fields: dict[str, Any] = {}
    for prop, node in schema.get("properties", {}).items():
        constraints = {
            key: node[src]
            for key, src in (
                ("ge", "minimum"),
                ("le", "maximum"),
                ("gt", "exclusiveMinimum"),
                ("min_length", "minLength"),
                ("max_length", "maxLength"),
            )
            if src in node and not isinstance(node[src], bool)
        }
        annotation = _annotation(node, components)
        if prop in required:
            fields[prop] = (annotation, Field(..., **constraints))
        else:
            default = node.get("default")
            fields[prop] = (annotation | None, Field(default, **constraints))
    return create_model(  # type: ignore[call-overload,no-any-return]
        name,
        __config__=ConfigDict(extra="allow", populate_by_name=True, protected_namespaces=()),
        **fields,
    )
