"""Endpoint registry: endpoint id -> Python function, its input/output models and options.

The demo endpoints and users' own functions register the same way, through `endpoint`, so the
server has no special cases: it looks the endpoint up here and calls it on a worker.
"""

from __future__ import annotations

import inspect
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel

from falwidgets._endpoint_id import parse_endpoint

if TYPE_CHECKING:
    from falwidgets.server._realtime import RealtimeOptions


@dataclass
class EndpointDef:
    """One served endpoint.

    `func(inp)` or `func(inp, ctx)` gets the validated input model instance (and a `JobContext`)
    and returns the output as a model instance or a JSON dict. `streaming` endpoints call
    `ctx.emit(partial)` for intermediate results; `document` is the fal OpenAPI document the models
    came from (served back at `/<id>/openapi.json`).
    """

    endpoint_id: str
    func: Callable[..., Any]
    input: type[BaseModel] | None = None
    output: type[BaseModel] | None = None
    streaming: bool = False
    document: dict[str, Any] | None = None
    description: str = ""
    realtime: RealtimeOptions | None = None  # also served over fal's realtime WebSocket
    takes_context: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        parse_endpoint(self.endpoint_id)  # fail early on a bad id
        try:
            count = len(inspect.signature(self.func).parameters)
        except (TypeError, ValueError):  # pragma: no cover - builtins
            count = 0
        self.takes_context = count >= 2


_REGISTRY: dict[str, EndpointDef] = {}
_LOCK = threading.Lock()


def register(definition: EndpointDef) -> EndpointDef:
    """Add (or replace) an endpoint; later registrations win so users can override demos."""
    with _LOCK:
        _REGISTRY[definition.endpoint_id.strip("/")] = definition
    return definition


def endpoint(
    endpoint_id: str,
    *,
    input: type[BaseModel] | None = None,
    output: type[BaseModel] | None = None,
    streaming: bool = False,
    document: dict[str, Any] | None = None,
    realtime: bool | RealtimeOptions = False,
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve a Python function as a fal endpoint on every local server.

    ```python
    @endpoint("me/upscale", input=UpscaleIn, output=UpscaleOut)
    def upscale(inp: UpscaleIn, ctx) -> UpscaleOut: ...
    ```
    Inputs are validated with `input` (fal-shaped 422 on failure) and results with `output`.
    `realtime=True` (or a `RealtimeOptions`) also serves it over fal's realtime WebSocket at
    `/run/<id>/realtime` (see `server/_realtime.py`).
    """
    from falwidgets.server._realtime import realtime_options

    def decorate(func: Callable[..., Any]) -> Callable[..., Any]:
        register(
            EndpointDef(
                endpoint_id,
                func,
                input=input,
                output=output,
                streaming=streaming,
                document=document,
                description=(inspect.getdoc(func) or "").split("\n", 1)[0],
                realtime=realtime_options(realtime),
            )
        )
        return func

    return decorate


def unregister(endpoint_id: str) -> None:
    with _LOCK:
        _REGISTRY.pop(endpoint_id.strip("/"), None)


def endpoints() -> dict[str, EndpointDef]:
    """A snapshot of the registry (demo endpoints included once loaded)."""
    with _LOCK:
        return dict(_REGISTRY)


def lookup(path: str) -> tuple[EndpointDef, str] | None:
    """The registered endpoint whose id is the longest prefix of `path`, and the rest."""
    parts = [p for p in path.strip("/").split("/") if p]
    with _LOCK:
        for cut in range(len(parts), 0, -1):
            found = _REGISTRY.get("/".join(parts[:cut]))
            if found is not None:
                return found, "/".join(parts[cut:])
    return None
