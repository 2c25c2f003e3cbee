"""Every wait ends on time even while a server keeps the stream alive (audit item 1)."""

from __future__ import annotations

import asyncio
import http.server
import json
import socketserver
import threading
import time
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from client_fakes import async_client, submitted

from _wait import wait_until
from falwidgets.client import Client, DeadlineExceeded

STREAM = "/fal-ai/flux/requests/req-1/status/stream"
STATUS = "/fal-ai/flux/requests/req-1/status"
RESULT = "/fal-ai/flux/requests/req-1"
QUEUED = b'data: {"status": "IN_QUEUE", "queue_position": 3}\n\n'
LIMIT = 1.0  # the caller's timeout in these tests
SLACK = 2.0  # scheduling slack on a loaded 2-core machine; the old code overran by 3.6 s+


def _pings(first: bytes = QUEUED, every: float = 0.1, stop_after: float = 5.0) -> Iterator[bytes]:
    """A stream that pings for ``stop_after`` seconds (the old client followed it to the end)."""
    yield first
    ends = time.monotonic() + stop_after
    while time.monotonic() < ends:
        time.sleep(every)
        yield b": ping\n\n"


async def _apings(first: bytes = QUEUED, every: float = 0.1) -> AsyncIterator[bytes]:
    yield first
    ends = time.monotonic() + 5.0
    while time.monotonic() < ends:
        await asyncio.sleep(every)
        yield b": ping\n\n"


def _sse_response(body: Any) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)


def _timed(fn: Any) -> tuple[float, BaseException | None]:
    started = time.monotonic()
    try:
        fn()
    except BaseException as error:
        return time.monotonic() - started, error
    return time.monotonic() - started, None


class _PingingQueue(http.server.BaseHTTPRequestHandler):
    """A real HTTP server whose streams ping for 5 s: the sync driver's hard stop is its watchdog
    shutting the socket, which needs a socket (a MockTransport body cannot be interrupted)."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args: Any) -> None:
        pass

    def _send(self, code: int, body: bytes, kind: str = "application/json") -> None:
        self.send_response(code)
        self.send_header("content-type", kind)
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _pings(self, first: bytes) -> None:
        self.send_response(200)
        self.send_header("content-type", "text/event-stream")
        self.send_header("connection", "close")
        self.end_headers()
        try:
            for chunk in _pings(first):
                self.wfile.write(chunk)
                self.wfile.flush()
        except OSError:  # the client's watchdog shut the socket: what the test wants
            pass
        self.close_connection = True

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.path.startswith("/run/"):
            return self._pings(b'data: {"step": 1}\n\n')
        base = f"http://{self.headers['host']}"
        body = {**submitted(), "status_url": base + STATUS, "response_url": base + RESULT}
        return self._send(200, json.dumps(body).encode())

    def do_GET(self) -> None:
        if self.path.startswith(STREAM):
            return self._pings(QUEUED)
        return self._send(202, b'{"status": "IN_QUEUE", "queue_position": 3}')


@pytest.fixture
def pinging_server() -> Iterator[str]:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _PingingQueue)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.parametrize("how", ["events", "subscribe", "result", "stream"])
def test_sync_waits_end_on_time_while_the_server_pings(pinging_server: str, how: str) -> None:
    with Client(base_url=pinging_server, journal=False) as client:
        handle = client.handle("fal-ai/flux", "req-1")
        calls = {
            "events": lambda: list(handle.events(logs=True, timeout=LIMIT)),
            "subscribe": lambda: client.subscribe(
                "fal-ai/flux/dev", {}, on_update=lambda s: None, timeout=LIMIT
            ),
            "result": lambda: handle.result(timeout=LIMIT),
            "stream": lambda: list(client.stream("fal-ai/flux/dev", {}, timeout=LIMIT)),
        }
        elapsed, error = _timed(calls[how])
    assert isinstance(error, DeadlineExceeded), error
    assert LIMIT - 0.05 <= elapsed < LIMIT + SLACK
    if how != "stream":
        assert error.request_id == "req-1" and "client.resume('req-1')" in str(error)


@pytest.mark.parametrize("how", ["events", "subscribe", "result", "stream"])
def test_async_waits_end_on_time_while_the_server_pings(how: str) -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST" and path.startswith("/run/"):
            return _sse_response(_apings(b'data: {"step": 1}\n\n'))
        if request.method == "POST":
            return httpx.Response(200, json=submitted())
        if path == STREAM:
            return _sse_response(_apings())
        return httpx.Response(202, json={"status": "IN_QUEUE", "queue_position": 3})

    async def main() -> tuple[float, BaseException | None]:
        async with async_client(handler) as client:
            handle = client.handle("fal-ai/flux", "req-1")

            async def go() -> None:
                if how == "events":
                    [s async for s in handle.events(timeout=LIMIT)]
                elif how == "subscribe":
                    await client.subscribe("fal-ai/flux/dev", {}, timeout=LIMIT)
                elif how == "result":
                    await handle.result(timeout=LIMIT)
                else:
                    [e async for e in client.stream("fal-ai/flux/dev", {}, timeout=LIMIT)]

            started = time.monotonic()
            try:
                await go()
            except BaseException as error:
                return time.monotonic() - started, error
            return time.monotonic() - started, None

    elapsed, error = asyncio.run(main())
    assert isinstance(error, DeadlineExceeded), error
    assert LIMIT - 0.05 <= elapsed < LIMIT + SLACK


class _PingThenSilence(socketserver.BaseRequestHandler):
    """A real HTTP server: a status stream that pings for 1.2 s, then holds the socket silent."""

    def handle(self) -> None:
        self.request.recv(65536)
        self.request.sendall(
            b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\nconnection: close\r\n\r\n"
            + QUEUED
        )
        ends = time.monotonic() + 1.2
        try:
            while time.monotonic() < ends:
                time.sleep(0.1)
                self.request.sendall(b": ping\n\n")
            time.sleep(3.0)  # silent: only the client's own deadline can end the read
        except OSError:
            pass


@pytest.fixture
def silent_server() -> Iterator[str]:
    server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), _PingThenSilence)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_sync_read_blocked_past_the_deadline_is_cut_by_the_watchdog(silent_server: str) -> None:
    """httpx fixes a stream's read timeout when it opens; a read that starts late would overrun
    (here to ~2.7 s). The watchdog shuts the socket at the deadline instead."""
    with Client(base_url=silent_server, journal=False) as client:
        handle = client.handle("fal-ai/flux", "req-1")
        elapsed, error = _timed(lambda: list(handle.events(timeout=1.5)))
    assert isinstance(error, DeadlineExceeded), error
    assert 1.45 <= elapsed < 2.5  # the overrun this catches ends at ~2.7 s
    assert error.request_id == "req-1"


def test_async_read_blocked_past_the_deadline_ends_on_time(silent_server: str) -> None:
    async def main() -> tuple[float, BaseException | None]:
        from falwidgets.client import AsyncClient

        async with AsyncClient(base_url=silent_server, journal=False) as client:
            handle = client.handle("fal-ai/flux", "req-1")
            started = time.monotonic()
            try:
                [s async for s in handle.events(timeout=1.5)]
            except BaseException as error:
                return time.monotonic() - started, error
            return time.monotonic() - started, None

    elapsed, error = asyncio.run(main())
    assert isinstance(error, DeadlineExceeded), error
    assert 1.45 <= elapsed < 2.5  # the overrun this catches ends at ~2.7 s


def test_watchdog_leaves_finished_streams_alone() -> None:
    """An alarm whose stream closed in time does nothing (no stray shutdowns of reused sockets)."""
    from falwidgets.client._drive import _WATCHDOG

    fired: list[int] = []
    entry = _WATCHDOG.arm(time.monotonic() + 0.05, lambda: fired.append(1))
    entry[0] = None  # what closing the stream does
    live = _WATCHDOG.arm(time.monotonic() + 0.05, lambda: fired.append(2))
    wait_until(lambda: fired, 2, "the live alarm to fire")
    assert fired == [2] and live[0] is None
