"""The queue host (`queue.fal.run`, served at `<base>/`): submit, status, status stream, result,
cancel, and each endpoint's OpenAPI document.

Routes are matched by hand under one catch-all because endpoint ids contain slashes, and
status/result/cancel work under both `owner/app` (what submit returns) and the full endpoint id
(what OpenAPI documents list). The catch-all is why this router is registered last.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import Any

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from falwidgets.server._http import bad_logs_flag, not_found, unknown_endpoint
from falwidgets.server._jobs import Job
from falwidgets.server._protocol import (
    PING,
    json_response,
    parse_flag,
    request_urls,
    sse,
    status_body,
)
from falwidgets.server._registry import lookup
from falwidgets.server._routes._intake import accept, result_response
from falwidgets.server._state import ServerState, wait_set

_NO_REQUEST = {"status": "NOT_FOUND", "detail": "Request not found"}


class QueueRoutes:
    """Handlers of the queue host, sharing one `ServerState`."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        return [Route("/{path:path}", self.dispatch, methods=["GET", "POST", "PUT"])]

    async def dispatch(self, request: Request) -> Response:
        path = request.path_params["path"]
        if "/requests/" in f"/{path}":
            return await self.request_call(request, path)
        if request.method == "POST":
            return await self.submit(request, path)
        if request.method == "GET" and path.endswith("/openapi.json"):
            found = lookup(path[: -len("/openapi.json")])
            if found and found[0].document and not found[1]:
                return json_response(found[0].document)
        return not_found(path)

    async def request_call(self, request: Request, path: str) -> Response:
        """`<app>/requests/<id>[/status[/stream]|/cancel]`."""
        prefix, _, rest = f"/{path}".partition("/requests/")
        parts = rest.strip("/").split("/")
        job = self.find_job(prefix, parts[0])
        if job is None:
            return json_response(_NO_REQUEST, 404)
        action, method = "/".join(parts[1:]), request.method
        if action == "" and method == "GET":
            return result_response(self.state, request, job)
        if action == "status" and method == "GET":
            return self.status(request, job)
        if action == "status/stream" and method == "GET":
            return self.status_stream(request, job, cut=request.scope.get("fal_sse_cut", False))
        if action == "cancel" and method in ("PUT", "POST"):
            return self.cancel(job)
        return not_found(path)

    async def submit(self, request: Request, path: str) -> Response:
        found = lookup(path)
        if found is None:
            return unknown_endpoint(path)
        definition, rest = found
        if rest:  # `owner/app/typo`: no such endpoint here (as on the run host), never queued
            return unknown_endpoint(path)
        accepted = await accept(self.state, request, definition, path.strip("/"), visible=True)
        if isinstance(accepted, Response):
            return accepted
        body = {
            "status": "IN_QUEUE",
            "request_id": accepted.request_id,
            **request_urls(self.state.base_for(request), accepted),
            "queue_position": self.state.queue.position(accepted),
            "gateway_request_id": accepted.request_id,
        }
        return json_response(body, 200, request_id=accepted.request_id)

    def find_job(self, prefix: str, request_id: str) -> Job | None:
        job = self.state.queue.get(request_id)
        if job is None or not job.visible:  # run/stream jobs belong to their caller alone
            return None
        prefix = prefix.strip("/")
        # owner/app (what submit returns) or the full endpoint id (what OpenAPI documents list)
        if prefix in (job.queue_prefix, job.endpoint_id) or job.endpoint_id.startswith(
            prefix + "/"
        ):
            return job
        return None

    def snapshot(
        self, job: Job, with_logs: bool, base: str, log_start: int = 0
    ) -> tuple[dict[str, Any], int]:
        queue = self.state.queue
        position = queue.position(job) if job.state == "IN_QUEUE" else 0
        with queue.lock:
            logs = list(job.logs[log_start:]) if with_logs else None
            body = status_body(base, job, position=position, logs=logs)
            return body, len(job.logs)

    def status(self, request: Request, job: Job) -> Response:
        with_logs = parse_flag(request.query_params.get("logs"))
        if with_logs is None:
            return bad_logs_flag(request)
        body, _ = self.snapshot(job, with_logs, self.state.base_for(request))
        code = 200 if body["status"] == "COMPLETED" else 202
        return json_response(body, code, request_id=job.request_id)

    def status_stream(self, request: Request, job: Job, *, cut: bool) -> Response:
        with_logs = parse_flag(request.query_params.get("logs"))
        if with_logs is None:
            return bad_logs_flag(request)
        events = self.status_events(job, with_logs, self.state.base_for(request), cut=cut)
        return StreamingResponse(
            events,
            media_type="text/event-stream",
            headers={"x-fal-request-id": job.request_id, "cache-control": "no-store"},
        )

    async def status_events(
        self, job: Job, with_logs: bool, base: str, *, cut: bool
    ) -> AsyncIterator[bytes]:
        """One event per change of status, position or logs; a ping between (fal: 15 s)."""
        queue, ping_interval = self.state.queue, self.state.ping_interval
        sent_logs = 0
        last_key: tuple[Any, ...] | None = None
        last_ping = time.monotonic()
        while True:
            changed = queue.watch(job)  # before the snapshot: no change is missed
            try:
                body, total_logs = self.snapshot(job, with_logs, base, sent_logs)
                key = (body["status"], body.get("queue_position"), total_logs if with_logs else 0)
                if key != last_key:
                    last_key = key
                    if with_logs:
                        sent_logs = total_logs
                    yield sse(body)
                    last_ping = time.monotonic()
                    if cut:
                        return  # fault: the stream ends before COMPLETED
                if body["status"] == "COMPLETED":
                    return
                wait = max(0.05, ping_interval - (time.monotonic() - last_ping))
                await wait_set(changed, min(wait, 0.25))
            finally:
                queue.unwatch(job, changed)
            if time.monotonic() - last_ping >= ping_interval:
                yield PING  # keep-alive between events
                last_ping = time.monotonic()

    def cancel(self, job: Job) -> Response:
        outcome = self.state.queue.cancel(job)
        code = 400 if outcome == "ALREADY_COMPLETED" else 202
        return json_response({"status": outcome}, code, request_id=job.request_id)


def routes(state: ServerState) -> list[BaseRoute]:
    return QueueRoutes(state).routes()
