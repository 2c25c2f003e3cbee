"""The Starlette app of one local server: the routers of every fal host on one base URL.

| router | fal host | paths |
|---|---|---|
| `_routes/_ops.py` | (none) | `/metrics`, `/health`, `/_falwidgets/...` |
| `_routes/_storage.py` | `rest.fal.ai` | `/storage/...`, `/tokens/` |
| `_routes/_cdn.py` | `v3.fal.media` | `/files/...` |
| `_routes/_models.py` | `api.fal.ai` | `/v1/models`, `/v1/models/pricing[/estimate]` |
| `_routes/_run.py` | `fal.run` | `/run/<endpoint id>[/stream]` |
| `_routes/_queue.py` | `queue.fal.run` | `/<endpoint id>`, `/<app>/requests/<id>/...` (catch-all) |

**Adding a router** (a WebSocket route, platform API routes, ...): write a module with
``routes(state: ServerState) -> list[BaseRoute]`` and add one line to :data:`ROUTERS`, before the
queue router, whose catch-all path must stay last. Every route answers from in-memory job state
under one lock, so status calls stay fast while worker threads do the work.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

from starlette.applications import Starlette
from starlette.routing import BaseRoute

from falwidgets.server._platform import platform_routes
from falwidgets.server._realtime import realtime_routes
from falwidgets.server._routes import _cdn, _models, _ops, _queue, _run, _storage
from falwidgets.server._state import ServerState

Router = Callable[[ServerState], list[BaseRoute]]

# matched in this order; the queue router's catch-all `/{path:path}` comes last
ROUTERS: tuple[Router, ...] = (
    _ops.routes,
    _storage.routes,
    _cdn.routes,
    lambda state: realtime_routes(),  # /tokens/, /tokens/realtime, the realtime WebSockets
    _models.routes,  # /v1/models, /v1/models/pricing[/estimate] (api.fal.ai)
    _run.routes,
    platform_routes,  # /v1/...: fal's platform API (request history)
    _queue.routes,
)


def build_app(state: ServerState) -> Starlette:
    """The ASGI app for one server: every router's routes over the same `state`."""

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.queue.loop = asyncio.get_running_loop()  # workers wake waiting streams on it
        yield

    routes = [route for router in ROUTERS for route in router(state)]
    return Starlette(routes=routes, lifespan=lifespan)
