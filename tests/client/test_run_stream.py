"""``run`` (fal.run path) and ``stream`` (SSE partial results) edge cases (MockTransport)."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest
from client_fakes import BASE

from falwidgets.client import DeadlineExceeded, InputRejected, ServerError


def test_run_posts_to_the_run_host_and_retries_only_refusals(mock_client) -> None:
    answers = iter(
        [httpx.Response(429, json={"detail": "busy"}), httpx.Response(200, json={"a": 1})]
    )
    client, rec = mock_client(lambda r: next(answers))
    assert client.run("fal-ai/flux/dev", {"prompt": "x"}, hint="r1") == {"a": 1}
    assert [str(r.url) for r in rec.requests] == [f"{BASE}/run/fal-ai/flux/dev"] * 2
    assert rec.requests[0].headers["x-fal-runner-hint"] == "r1"
    client2, rec2 = mock_client(lambda r: httpx.Response(500, json={"detail": "boom"}))
    with pytest.raises(ServerError, match="run of fal-ai/flux/dev failed with HTTP 500: boom"):
        client2.run("fal-ai/flux/dev", {})
    assert len(rec2.requests) == 1


def test_run_is_not_repeated_after_the_app_answered_503(mock_client) -> None:
    """On fal.run a 503 naming a request comes from the app after it ran (e.g. a GPU error):
    running it again could run it twice. A gateway 503 (no request id) is a refusal: retried."""
    app_said = httpx.Response(
        503, json={"detail": "GPU error"}, headers={"x-fal-request-id": "run-1"}
    )
    client, rec = mock_client(lambda r: app_said)
    with pytest.raises(ServerError, match="GPU error"):
        client.run("fal-ai/flux/dev", {})
    assert len(rec.requests) == 1
    answers = iter([httpx.Response(503, text="upstream busy"), httpx.Response(200, json={"a": 1})])
    client2, rec2 = mock_client(lambda r: next(answers))
    assert client2.run("fal-ai/flux/dev", {}) == {"a": 1}
    assert len(rec2.requests) == 2


def _stream(body: Iterator[bytes]) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)


def test_stream_yields_each_event(mock_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        assert request.url.path == "/run/fal-ai/flux-krea-lora/stream"
        assert json.loads(request.content) == {"prompt": "x"}
        return _stream(iter([b'data: {"step": 1}\n\n: ping\n\n', b'data: {"step": 2}\n\n']))

    client, _ = mock_client(handler)
    assert list(client.stream("fal-ai/flux-krea-lora", {"prompt": "x"})) == [
        {"step": 1},
        {"step": 2},
    ]


def test_stream_cut_midway_says_how_far_it_got(mock_client) -> None:
    def body() -> Iterator[bytes]:
        yield b'data: {"step": 1}\n\n'
        raise httpx.RemoteProtocolError("incomplete chunked read")

    client, rec = mock_client(lambda r: _stream(body()))
    got = []
    with pytest.raises(ServerError, match="cut after 1 events"):
        for item in client.stream("fal-ai/flux-krea-lora", {}):
            got.append(item)
    assert got == [{"step": 1}] and len(rec.requests) == 1  # never re-run a streaming call


def test_stream_errors_and_deadline(mock_client) -> None:
    client, _ = mock_client(lambda r: httpx.Response(422, json={"detail": "prompt missing"}))
    with pytest.raises(InputRejected, match="prompt missing"):
        list(client.stream("fal-ai/flux-krea-lora", {}))

    def slow() -> Iterator[bytes]:
        yield b'data: {"step": 1}\n\n'
        raise httpx.ReadTimeout("timed out")

    client2, _ = mock_client(lambda r: _stream(slow()))
    with pytest.raises(DeadlineExceeded, match="after 1 events"):
        list(client2.stream("fal-ai/flux-krea-lora", {}))


def test_sync_subscribe_rejects_async_callbacks(mock_client) -> None:
    client, rec = mock_client(lambda r: httpx.Response(500))

    async def update(status: object) -> None:
        return None

    with pytest.raises(TypeError, match="AsyncClient"):
        client.subscribe("fal-ai/flux/dev", {}, on_update=update)
    assert rec.requests == []  # refused before anything was submitted
