"""What ``app()`` was given: an endpoint id, a schema, a Pydantic model or a served function.

Resolves it to an endpoint id (``None`` when there is nothing to run) plus the source the form is
built from. Functions served with ``@falwidgets.server.endpoint`` (and endpoint ids registered that
way in this kernel) build their form from the Python input model, with no schema download.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from falwidgets.server._registry import EndpointDef


@dataclass(frozen=True)
class Target:
    endpoint: str | None
    form_source: Any
    output_spec: Any = None
    streaming: bool = False  # partial results over SSE (fal's `/stream` endpoints), no queue


def _registry() -> dict[str, EndpointDef]:
    """The local server's endpoint registry in this process (demo and user endpoints)."""
    from falwidgets.server import endpoints

    return endpoints()


def served_ids() -> list[str]:
    """Endpoint ids the local server in this process serves (demos and user endpoints)."""
    return sorted(_registry())


def _registered(endpoint_id: str) -> EndpointDef | None:
    """The local server's registration for ``endpoint_id`` in this process, if any."""
    return _registry().get(endpoint_id.strip("/"))


def _served_id(func: Any) -> str | None:
    """The endpoint id a function was registered under with ``@falwidgets.server.endpoint``."""
    for endpoint_id, definition in _registry().items():
        if definition.func is func:
            return endpoint_id
    return None


def _output_spec_of_model(model: Any) -> Any:
    if model is None:
        return None
    from falwidgets.schema import spec_from_model

    try:
        return spec_from_model(model)
    except Exception:  # previews still work from the output alone
        return None


def resolve(source: Any, endpoint: str | None = None) -> Target:
    """Turn ``app()``'s argument into a :class:`Target`; raise ``TypeError`` on anything else."""
    from pydantic import BaseModel

    from falwidgets.schema import EndpointSchema, load_endpoint

    if isinstance(source, str):
        reg = _registered(source)
        streaming = (reg is not None and reg.streaming) or source.rstrip("/").endswith("/stream")
        if reg is not None and reg.document:
            return Target(source, reg.document, _output_spec_of_model(reg.output), streaming)
        if reg is not None and reg.input is not None:
            return Target(source, reg.input, _output_spec_of_model(reg.output), streaming)
        schema = load_endpoint(source)
        return Target(source, schema, schema.output, streaming)
    if isinstance(source, EndpointSchema):
        return Target(endpoint or source.endpoint_id, source, source.output)
    if isinstance(source, type) and issubclass(source, BaseModel):
        return Target(endpoint, source, None)
    if callable(source) and not isinstance(source, type):  # a function served by the decorator
        served = _served_id(source)
        if served is None:
            name = getattr(source, "__name__", source)  # a callable object may have no name
            raise TypeError(
                f"{name!r} is not served: decorate it with "
                "@falwidgets.server.endpoint('me/name', input=..., output=...) first"
            )
        return resolve(served)
    if isinstance(source, dict):  # an OpenAPI document or a JSON schema
        return Target(endpoint, source, None)
    raise TypeError(
        "app() takes an endpoint id like 'fal-ai/flux/dev', an EndpointSchema, a Pydantic model "
        f"class or a function served with @falwidgets.server.endpoint; got {type(source).__name__}"
    )
