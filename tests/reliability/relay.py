"""A loopback relay in front of a server that loses answers *after* the server acted, or stalls.

The local server's ``--faults`` are decided before its app runs, so they never lose the answer to a
submit that was enqueued. This relay forwards the call first and then misbehaves, which is what a
flaky network really does:

- ``"cut"``: forward the call, read the server's answer, then promise a body and close the
  connection (the server has acted; the client never learns the request id).
- ``"stall"``: hold the connection silent (no status line) for ``stall_seconds``.
- ``"stall_body"``: forward the call, send the status line and headers, then go silent.

``plan(method, path)`` picks an action (or ``None``) per call. URLs the server puts in JSON answers
(``status_url`` and friends) are rewritten to point back at the relay.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from types import TracebackType
from typing import Any

import httpx
import uvicorn

from _wait import wait_until

Plan = Callable[[str, str], str | None]
_HOP = {b"connection", b"keep-alive", b"transfer-encoding"}


class RelayCut(Exception):
    def __init__(self) -> None:
        super().__init__("relay-cut-on-purpose")


class _QuietCuts(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return "relay-cut-on-purpose" not in str(record.exc_info[1] if record.exc_info else "")


logging.getLogger("uvicorn.error").addFilter(_QuietCuts())


class Relay:
    """Run with ``with Relay(upstream, plan) as relay:``; ``relay.url``, ``relay.actions``."""

    def __init__(self, upstream: str, plan: Plan, *, stall_seconds: float = 30.0) -> None:
        self.upstream = upstream.rstrip("/")
        self.plan = plan
        self.stall_seconds = stall_seconds
        self.actions: list[tuple[str, str, str | None]] = []  # (method, path, action)
        self._lock = threading.Lock()
        config = uvicorn.Config(
            self._app,
            host="127.0.0.1",
            port=0,
            log_level="warning",
            lifespan="off",
            interface="asgi3",
        )
        config.timeout_graceful_shutdown = 1
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, name="relay", daemon=True)
        self._client: httpx.AsyncClient | None = None
        self.url = ""

    def count(self, method: str, path_part: str, action: str | None = "any") -> int:
        """Calls seen with ``method`` whose path contains ``path_part`` (and ``action``)."""
        with self._lock:
            return sum(
                1
                for m, p, a in self.actions
                if m == method and path_part in p and (action == "any" or a == action)
            )

    async def _app(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        method, path = scope["method"], scope["path"]
        action = self.plan(method, path)
        with self._lock:
            self.actions.append((method, path, action))
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        if action == "stall":
            await asyncio.sleep(self.stall_seconds)
        query = scope.get("query_string", b"").decode()
        url = self.upstream + path + (f"?{query}" if query else "")
        headers = [(k, v) for k, v in scope["headers"] if k.lower() not in _HOP]
        if self._client is None:  # one client, made in the relay's loop (making one costs ~30 ms)
            self._client = httpx.AsyncClient(
                timeout=httpx.Timeout(60.0), limits=httpx.Limits(max_connections=200)
            )
        async with self._client.stream(
            method, url, headers=headers, content=body or None
        ) as upstream:
            await self._answer(upstream, action, send)

    async def _answer(self, upstream: httpx.Response, action: str | None, send: Any) -> None:
        out = [(k, v) for k, v in upstream.headers.raw if k.lower() not in _HOP]
        if action == "cut":
            await upstream.aread()  # the server has answered: it acted on the call
            start = [(k, v) for k, v in out if k.lower() != b"content-length"]
            start.append((b"content-length", b"4096"))
            await send({"type": "http.response.start", "status": 200, "headers": start})
            raise RelayCut
        if upstream.headers.get("content-type", "").startswith("application/json"):
            # the server names itself in status_url etc.: point those back at the relay
            body = (await upstream.aread()).replace(self.upstream.encode(), self.url.encode())
            out = [
                (k, v) for k, v in out if k.lower() not in (b"content-length", b"content-encoding")
            ]
            out.append((b"content-length", str(len(body)).encode()))
            await send(
                {"type": "http.response.start", "status": upstream.status_code, "headers": out}
            )
            if action == "stall_body":
                await asyncio.sleep(self.stall_seconds)
            await send({"type": "http.response.body", "body": body})
            return
        await send({"type": "http.response.start", "status": upstream.status_code, "headers": out})
        if action == "stall_body":
            await asyncio.sleep(self.stall_seconds)
        async for chunk in upstream.aiter_raw():
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    def __enter__(self) -> Relay:
        self._thread.start()

        def started() -> bool:
            if not self._thread.is_alive():
                raise RuntimeError("the relay's server thread ended before it started")
            return bool(self._server.started)

        wait_until(started, 15, "the relay to start")
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._server.should_exit = True
        self._thread.join(15)
