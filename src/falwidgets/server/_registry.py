"""Endpoint registry: endpoint id -> Python function, its input/output models and options.

The demo endpoints and users' own functions register the same way, through `endpoint`, so the
server has no special cases: it looks the endpoint up here and calls it on a worker.
"""

from __future__ import annotations

import inspect
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel

_LEGACY_ID = re.compile(r"^([0-9]+)-([a-zA-Z0-9-]+)$")
_NAMESPACES = ("workflows", "comfy")


@dataclass(frozen=True)
class AppId:
    """fal's split of an endpoint id: `[namespace/]owner/app` plus the rest (`path`)."""

    owner: str
    app: str
    path: str = ""
    namespace: str = ""

    @property
    def queue_prefix(self) -> str:
        """The `[namespace/]owner/app` prefix status, result and cancel URLs use."""
        return "/".join(p for p in (self.namespace, self.owner, self.app) if p)


def parse_endpoint_id(endpoint_id: str) -> AppId:
    """Parse an endpoint id with fal_client's rules (fal-protocol.md section 2)."""
    parts = [p for p in endpoint_id.strip("/").split("/") if p]
    if len(parts) == 1:
        match = _LEGACY_ID.match(parts[0])
        if not match:
            raise ValueError(f"invalid endpoint id {endpoint_id!r}: expected 'owner/app[/path]'")
        return AppId(match.group(1), match.group(2))
    if not parts:
        raise ValueError("empty endpoint id")
    if parts[0] in _NAMESPACES:
        if len(parts) < 3:
            raise ValueError(
                f"invalid endpoint id {endpoint_id!r}: expected '{parts[0]}/owner/app'"
            )
        return AppId(parts[1], parts[2], "/".join(parts[3:]), parts[0])
    return AppId(parts[0], parts[1], "/".join(parts[2:]))


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
    takes_context: bool = field(init=False, default=False)

    def __post_init__(self) -> None:
        parse_endpoint_id(self.endpoint_id)  # fail early on a bad id
        try:
            params = inspect.signature(self.func).parameters
        except (TypeError, ValueError):  # pragma: no cover - builtins
            params = {}
        self.takes_context = len(params) >= 2


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
) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Serve a Python function as a fal endpoint on every local server.

    ```python
    @endpoint("me/upscale", input=UpscaleIn, output=UpscaleOut)
    def upscale(inp: UpscaleIn, ctx) -> UpscaleOut: ...
    ```
    Inputs are validated with `input` (fal-shaped 422 on failure) and results with `output`.
    """

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
