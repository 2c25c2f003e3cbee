"""ASGI middleware: fault injection and loopback Host checks.

Injected gateway errors deliberately carry no `x-fal-request-id` (that absence is how fal_client
recognises an ingress error); every app response that concerns a request sets the header itself.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

from falwidgets._hosts import is_loopback
from falwidgets.server._faults import Faults
from falwidgets.server._metrics import Metrics

Scope = dict[str, Any]
Receive = Any
Send = Any

# operational routes never get faults: tests and dashboards must be able to read them
_EXEMPT = ("/metrics", "/health", "/_falwidgets/")


class _DropFilter(logging.Filter):
    """Hide uvicorn's error log for connections we drop on purpose."""

    def filter(self, record: logging.LogRecord) -> bool:
        return not _is_drop(record.exc_info[1] if record.exc_info else None)


def _is_drop(error: BaseException | None) -> bool:
    """An injected drop, also when a task group wrapped it (streaming responses run in one)."""
    if isinstance(error, InjectedDrop):
        return True
    return any(_is_drop(e) for e in getattr(error, "exceptions", ()))


logging.getLogger("uvicorn.error").addFilter(_DropFilter())


class InjectedDrop(Exception):
    def __init__(self) -> None:
        super().__init__("falwidgets-injected-drop")


class FaultMiddleware:
    """Decide one fault per call before the app sees it, so refused calls have no effect."""

    def __init__(self, app: Any, faults: Faults, metrics: Metrics, retry_after: int = 1) -> None:
        self.app = app
        self.faults = faults
        self.metrics = metrics
        self.retry_after = retry_after

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not self.faults.active or scope["path"].startswith(_EXEMPT):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        streaming = b"text/event-stream" in headers.get(b"accept", b"") or scope["path"].endswith(
            ("/status/stream", "/stream")
        )
        kind = self.faults.pick_http(streaming=streaming)
        if kind is None:
            await self.app(scope, receive, send)
            return
        self.metrics.inc("falwidgets_faults_total", kind=kind)
        if kind == "slow":
            await asyncio.sleep(self.faults.slow_seconds)
            await self.app(scope, receive, send)
        elif kind == "sse_cut":
            await self.app({**scope, "fal_sse_cut": True}, receive, send)
        elif kind == "http_429":
            body = {"detail": "Too many requests (injected fault)", "error_type": "rate_limited"}
            await _respond(
                send,
                429,
                json.dumps(body).encode(),
                "application/json",
                [(b"retry-after", str(self.retry_after).encode())],
            )
        elif kind == "http_5xx":
            # an ingress-style gateway error: no x-fal-request-id, "nginx" in the body, so
            # clients that follow fal_client's rules treat it as retryable
            status = (502, 503, 504)[self.metrics_count(kind) % 3]
            page = f"<html><body><h1>{status} Bad Gateway</h1><hr>nginx</body></html>".encode()
            await _respond(send, status, page, "text/html", [])
        elif kind == "drop" and streaming:
            # a stream is cut mid-way, as a dropped connection cuts it: the headers and the first
            # event arrive, then the connection closes without the stream's end (clients that
            # read events must survive that and fall back, e.g. to polling)
            await self.app(scope, receive, _cut_after_first_event(send))
        elif kind == "drop":
            # promise a body and close the connection before sending it
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-length", b"64"), (b"content-type", b"application/json")],
                }
            )
            raise InjectedDrop

    def metrics_count(self, kind: str) -> int:
        return int(self.metrics.value("falwidgets_faults_total", kind=kind))


def _cut_after_first_event(send: Send) -> Send:
    """`send` that raises :class:`InjectedDrop` right after the first SSE event has gone out."""

    async def cutting(message: dict[str, Any]) -> None:
        await send(message)
        if message["type"] == "http.response.body" and message.get("body", b"").startswith(
            b"data:"
        ):
            raise InjectedDrop

    return cutting


class LoopbackHostMiddleware:
    """When bound to loopback, refuse other Host headers (DNS-rebinding protection)."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            host = dict(scope.get("headers") or []).get(b"host", b"").decode("latin-1")
            name = host.rsplit(":", 1)[0] if not host.endswith("]") else host
            if name and not is_loopback(name):
                body = json.dumps({"detail": f"Invalid host header {host!r}"}).encode()
                await _respond(send, 400, body, "application/json", [])
                return
        await self.app(scope, receive, send)


async def _respond(
    send: Send, status: int, body: bytes, content_type: str, extra: list[tuple[bytes, bytes]]
) -> None:
    headers = [
        (b"content-type", content_type.encode()),
        (b"content-length", str(len(body)).encode()),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
