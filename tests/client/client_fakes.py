"""Helpers for client tests: a scripted fal queue behind ``httpx.MockTransport``."""

from __future__ import annotations

import json
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import httpx

from falwidgets.client import AsyncClient, RetryPolicy
from falwidgets.client._journal import Journal

BASE = "http://fal.test"
FAST = RetryPolicy(max_attempts=4, base=0.01, max_delay=0.05)


def journal_submit(
    journal: Journal, rid: str, endpoint: str = "fal-ai/flux/dev", **args: Any
) -> Future[None]:
    """Queue a submit row for ``rid`` (URLs from the endpoint-id rules on a fake host)."""
    url = f"http://q/{endpoint}/requests/{rid}"
    return journal.write_submit(
        request_id=rid,
        endpoint=endpoint,
        base="http://q",
        status_url=url + "/status",
        response_url=url,
        cancel_url=url + "/cancel",
        arguments=args,
    )


def sse(*events: dict[str, Any], ping: bool = True) -> bytes:
    """An SSE body: one ``data:`` event per status object, with keep-alive comments between."""
    chunks = []
    for event in events:
        if ping:
            chunks.append(": ping\n\n")
        chunks.append(f"data: {json.dumps(event)}\n\n")
    return "".join(chunks).encode()


def submitted(request_id: str = "req-1", app: str = "fal-ai/flux") -> dict[str, Any]:
    url = f"{BASE}/{app}/requests/{request_id}"
    return {
        "request_id": request_id,
        "response_url": url,
        "status_url": f"{url}/status",
        "cancel_url": f"{url}/cancel",
        "status": "IN_QUEUE",
        "queue_position": 0,
    }


def log(n: int, text: str | None = None) -> dict[str, Any]:
    return {
        "message": text or f"line {n}",
        "level": "INFO",
        "timestamp": f"2026-01-01T00:00:{n:02d}Z",
    }


class Recorder:
    """Wraps a handler and keeps every request it saw."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.handler = handler
        self.requests: list[httpx.Request] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.requests.append(request)
        return self.handler(request)

    def paths(self) -> list[str]:
        return [f"{r.method} {r.url.path}" for r in self.requests]


def async_client(handler: Callable[..., Any], **options: Any) -> AsyncClient:
    options.setdefault("base_url", BASE)
    options.setdefault("retry", FAST)
    return AsyncClient(transport=httpx.MockTransport(handler), **options)


class StreamingMock(httpx.BaseTransport):
    """Like ``httpx.MockTransport`` but without reading the request body first, so a handler
    can consume a streamed upload chunk by chunk (MockTransport buffers it whole)."""

    def __init__(self, handler: Callable[[httpx.Request], httpx.Response]) -> None:
        self.handler = handler

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.handler(request)
