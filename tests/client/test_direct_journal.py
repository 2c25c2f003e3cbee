"""Every call is journalled, not only queue submits: run(), stream() and refused submits."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest
from client_fakes import async_client, sse

import falwidgets
from falwidgets import journal
from falwidgets.client import Client, InputRejected, ServerError

STREAM = "fal-ai/flux-krea-lora/stream"
PROMPT = {"prompt": "a paper boat", "num_inference_steps": 4}


def test_stream_is_journalled_under_the_servers_id(local_server: Any) -> None:
    with Client(base_url=local_server.url) as client:
        stream = client.stream(STREAM, PROMPT, timeout=60)
        assert stream.request_id is None  # nothing sent yet
        events = list(stream)
    assert len(events) >= 2 and stream.request_id and not stream.request_id.startswith("local-")
    (entry,) = journal()
    assert entry.request_id == stream.request_id and entry.status == "COMPLETED"
    assert entry.endpoint == STREAM and entry.arguments == PROMPT
    assert entry.result == events[-1] and entry.status_url == "" and entry.finished


def test_async_stream_and_run_are_journalled(local_server: Any) -> None:
    async def scenario() -> tuple[str | None, Any]:
        async with falwidgets.AsyncClient(base_url=local_server.url) as client:
            stream = client.stream(STREAM, PROMPT, timeout=60)
            last = [e async for e in stream][-1]
            output = await client.run("fal-ai/flux-realism", {"prompt": "a kite"}, timeout=60)
            assert last["images"]
            return stream.request_id, output

    rid, output = asyncio.run(scenario())
    by_id = {e.request_id: e for e in journal()}
    assert by_id[rid].status == "COMPLETED" and by_id[rid].endpoint == STREAM
    (ran,) = [e for e in by_id.values() if e.endpoint == "fal-ai/flux-realism"]
    assert ran.status == "COMPLETED" and ran.result == output
    assert ran.arguments == {"prompt": "a kite"}


def test_stream_abandoned_mid_way_is_cancelled_with_its_last_event(local_server: Any) -> None:
    with Client(base_url=local_server.url) as client:
        stream = client.stream(STREAM, PROMPT, timeout=60)
        first = next(stream)
        stream.close()
    (entry,) = journal()
    assert entry.status == "CANCELLED" and entry.result == first
    assert "after 1 events" in (entry.error or "")


def _answer(status: int, body: Any, headers: dict[str, str] | None = None) -> Any:
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json=body, headers=headers or {})

    return handler


def test_refused_submit_is_journalled_failed_with_its_arguments(mock_client: Any) -> None:
    detail = [{"loc": ["body", "prompt"], "msg": "too long", "type": "value_error"}]
    client, _ = mock_client(_answer(422, {"detail": detail}))
    with pytest.raises(InputRejected) as caught:
        client.submit("fal-ai/flux/dev", {"prompt": "x" * 9})
    (entry,) = journal()
    assert caught.value.journal_id == entry.request_id and entry.request_id.startswith("local-")
    assert caught.value.request_id is None  # the server named no request: none is claimed
    assert entry.status == "FAILED" and entry.error_type == "InputRejected"
    assert "too long" in (entry.error or "") and entry.arguments == {"prompt": "x" * 9}


def test_refusal_with_a_server_id_uses_it(mock_client: Any) -> None:
    handler = _answer(503, {"detail": "overloaded"}, {"x-fal-request-id": "srv-9"})
    client, _ = mock_client(handler)
    with pytest.raises(ServerError) as caught:
        client.run("fal-ai/flux/dev", {"prompt": "y"})
    (entry,) = journal()
    assert entry.request_id == "srv-9" == caught.value.request_id == caught.value.journal_id
    assert entry.status == "FAILED" and "overloaded" in (entry.error or "")


def test_stream_error_event_is_journalled_failed() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        body = sse({"images": []}) + b'event: error\ndata: {"error": "GPU fell over"}\n\n'
        return httpx.Response(200, content=body, headers={"content-type": "text/event-stream"})

    async def scenario() -> None:
        async with async_client(handler) as client:
            with pytest.raises(ServerError) as caught:
                [e async for e in client.stream("fal-ai/flux/dev", {})]
            assert caught.value.journal_id and caught.value.journal_id.startswith("local-")

    asyncio.run(scenario())
    (entry,) = journal()
    assert entry.status == "FAILED" and "GPU fell over" in (entry.error or "")


def test_journal_off_records_nothing_and_run_without_header_gets_a_local_id(
    mock_client: Any,
) -> None:
    quiet, _ = mock_client(_answer(200, {"ok": 1}), journal=False)
    assert quiet.run("fal-ai/flux/dev", {}) == {"ok": 1} and journal() == []
    assert quiet.journalling is False
    client, _ = mock_client(_answer(200, {"ok": 2}))
    assert client.run("fal-ai/flux/dev", {}) == {"ok": 2}
    (entry,) = journal()
    assert entry.request_id.startswith("local-") and entry.result == {"ok": 2}


def test_public_properties_never_show_a_token() -> None:
    proxied = Client("sk-proxy-token", proxy_url="https://u:pw@proxy.test:8443/t/SECRET123/fal")
    assert proxied.proxy_url == "https://***@proxy.test:8443/t/***/fal"
    assert proxied.proxy_origin == "https://proxy.test:8443"
    assert proxied.has_key and proxied.journalling
    shown = f"{proxied!r} {proxied.proxy_url} {proxied.proxy_origin} {proxied.hosts}"
    assert "SECRET123" not in shown and "sk-proxy-token" not in shown and "pw" not in shown
    local = falwidgets.AsyncClient(base_url="http://127.0.0.1:9/")
    assert local.base_url == "http://127.0.0.1:9" and local.hosts.run == "http://127.0.0.1:9/run"
    assert local.proxy_url is None and local.proxy_origin is None and not local.has_key
