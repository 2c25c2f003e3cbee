"""Operational routes: `/metrics` (Prometheus text), `/health`, and `/_falwidgets/...` (what this
server serves, and the submission counter that shows one user action sent twice).

These paths are exempt from injected faults (`_middleware`), so tests and dashboards can read them.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route

from falwidgets._endpoint_id import RUN_PREFIX
from falwidgets.server._protocol import json_response
from falwidgets.server._registry import endpoints
from falwidgets.server._state import ServerState


class OpsRoutes:
    """Handlers of the operational paths, sharing one `ServerState`."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/metrics", self.metrics, methods=["GET"]),
            Route("/health", self.health, methods=["GET"]),
            Route("/_falwidgets/info", self.info, methods=["GET"]),
            Route("/_falwidgets/submissions", self.submissions, methods=["GET"]),
        ]

    async def metrics(self, request: Request) -> Response:
        queue = self.state.queue
        text = self.state.metrics.render(
            {
                "falwidgets_queue_depth": lambda: (
                    {"": float(sum(queue.depth().values()))} | queue.depth()
                ),
                "falwidgets_running_jobs": lambda: {"": float(queue.running)},
                # open status streams and run calls waiting on a job (a leak shows up here)
                "falwidgets_job_watchers": lambda: {"": float(queue.watcher_count())},
            }
        )
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    async def health(self, request: Request) -> Response:
        return json_response({"ok": True})

    async def info(self, request: Request) -> Response:
        base = self.state.base_for(request)
        return json_response(
            {
                "base_url": base,
                "queue_url": base,
                "run_url": f"{base}/{RUN_PREFIX}",
                "rest_url": base,
                "cdn_url": base,
                "endpoints": sorted(endpoints()),
                "faults": str(self.state.faults),
                "speed": self.state.speed,
            }
        )

    async def submissions(self, request: Request) -> Response:
        """Accepted queue submits per content digest; `duplicates` lists those counted twice+."""
        state = self.state
        with state.queue.lock:
            counts: list[dict[str, Any]] = [
                {"digest": d, "endpoint": state.submission_endpoints[d], "count": n}
                for d, n in state.submissions.items()
            ]
        return json_response(
            {"submissions": counts, "duplicates": [c for c in counts if c["count"] > 1]}
        )


def routes(state: ServerState) -> list[BaseRoute]:
    return OpsRoutes(state).routes()
