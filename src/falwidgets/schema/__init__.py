"""JSON Schema documents and Pydantic models -> `FieldSpec` trees and Pydantic models.

No HTTP client and no widgets here: the server, the widgets and the CLI all build on this layer.
"""

from falwidgets.schema._convert import spec_from_json_schema
from falwidgets.schema._endpoint import EndpointSchema, NoInputSchema, load_endpoint
from falwidgets.schema._field import MISSING, FieldSpec
from falwidgets.schema._labels import humanize, label_for
from falwidgets.schema._model import json_ready, model_from_spec
from falwidgets.schema._unknown import UnknownEndpoint
from falwidgets.schema._validate import field_errors, spec_from_model


def catalog() -> list[str]:
    """Endpoint ids bundled with the package (usable offline with `load_endpoint(id)`)."""
    from falwidgets.schema._catalog import catalog as _catalog

    return _catalog()


def endpoint_url(endpoint_id: str) -> str:
    """fal's queue OpenAPI document URL for an endpoint id (for `load_endpoint(url)`)."""
    from falwidgets.schema._catalog import endpoint_url as _endpoint_url

    return _endpoint_url(endpoint_id)


__all__ = [
    "MISSING",
    "EndpointSchema",
    "FieldSpec",
    "NoInputSchema",
    "UnknownEndpoint",
    "catalog",
    "endpoint_url",
    "field_errors",
    "humanize",
    "json_ready",
    "label_for",
    "load_endpoint",
    "model_from_spec",
    "spec_from_json_schema",
    "spec_from_model",
]
