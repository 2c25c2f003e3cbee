"""The run host (`fal.run`, served at `<base>/run/`): synchronous run and streaming calls.

A run or stream job belongs to its caller alone (no status URL); dropping the call cancels it, as
on fal.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

from starlette.requests import Request
from starlette.responses import Response, StreamingResponse
from starlette.routing import BaseRoute, Route

from falwidgets._endpoint_id import RUN_PREFIX
from falwidgets.server._http import client_gone, not_found, unknown_endpoint
from falwidgets.server._jobs import Job
from falwidgets.server._protocol import PING, sse
from falwidgets.server._registry import EndpointDef, lookup
from falwidgets.server._routes._intake import accept, result_response
from falwidgets.server._state import ServerState, wait_set


def wants_stream(request: Request, definition: EndpointDef, rest: str) -> bool:
    """`<id>/stream`, or a streaming endpoint called without asking for JSON only."""
    accept_header = request.headers.get("accept", "")
    json_only = "application/json" in accept_header and "event-stream" not in accept_header
    return rest == "stream" or (definition.streaming and not json_only)


class RunRoutes:
    """Handlers of the run host, sharing one `ServerState`."""

    def __init__(self, state: ServerState) -> None:
        self.state = state

    def routes(self) -> list[BaseRoute]:
        return [Route(f"/{RUN_PREFIX}/{{path:path}}", self.run, methods=["POST"])]

    async def run(self, request: Request) -> Response:
        path = request.path_params["path"]
        found = lookup(path)
        if found is None:
            return unknown_endpoint(path)
        definition, rest = found
        streaming = wants_stream(request, definition, rest)
        if rest not in ("", "stream") or (streaming and not definition.streaming):
            return not_found(f"{RUN_PREFIX}/{path}")
        accepted = await accept(
            self.state, request, definition, definition.endpoint_id, visible=False
        )
        if isinstance(accepted, Response):
            return accepted
        job = accepted
        if streaming:
            return StreamingResponse(
                self.stream_events(request, job, cut=request.scope.get("fal_sse_cut", False)),
                media_type="text/event-stream",
                headers={"x-fal-request-id": job.request_id, "cache-control": "no-store"},
            )
        if not await self.wait_done(request, job):
            self.state.queue.forget(job)  # cancelled, maybe still running: dropped when it ends
            return client_gone()
        response = result_response(self.state, request, job)
        self.state.queue.forget(job)
        return response

    async def wait_done(self, request: Request, job: Job) -> bool:
        """Wait for a job; cancel it if the caller goes away (fal: dropping a run cancels it).

        The disconnect check does not block and runs on every pass: a job that logs often wakes
        the wait long before its 0.5 s timeout, so checking only on timeouts would never cancel.
        """
        queue = self.state.queue
        while not job.done_event.is_set():
            changed = queue.watch(job)
            try:
                if await request.is_disconnected():
                    queue.cancel(job)
                    return False
                await wait_set(changed, 0.5)
            finally:
                queue.unwatch(job, changed)
        return True

    async def stream_events(self, request: Request, job: Job, *, cut: bool) -> AsyncIterator[bytes]:
        """Each partial as an event, then the output (or error) as the last; pings between."""
        state, queue = self.state, self.state.queue
        sent = 0
        try:
            while True:
                changed = queue.watch(job)
                try:
                    with queue.lock:
                        partials = list(job.partials[sent:])
                        done = job.state == "COMPLETED"
                    for partial in partials:
                        yield sse(state.outward(request, partial))
                        sent += 1
                        if cut:  # fault: the stream ends after its first event
                            queue.cancel(job)
                            return
                    if done:
                        if job.error:
                            yield sse(
                                state.outward(request, job.error_body)
                                if isinstance(job.error_body, dict)
                                else {"detail": job.error, "error_type": job.error_type}
                            )
                        elif job.output is not None:
                            yield sse(state.outward(request, job.output))
                        return
                    pinged = not await wait_set(changed, state.ping_interval)
                finally:
                    queue.unwatch(job, changed)
                if pinged:
                    yield PING
        finally:
            if job.state != "COMPLETED":
                queue.cancel(job)
            queue.forget(job)


def routes(state: ServerState) -> list[BaseRoute]:
    return RunRoutes(state).routes()
