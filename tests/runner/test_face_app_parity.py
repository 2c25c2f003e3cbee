"""Behaviours of the classic App, checked on App (the one-anywidget app that replaces it):
streaming, queue position, targets, credentials, deadlines, close, uploaders, uploads in flight."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import time
from collections.abc import Callable

import httpx
import pytest
from app_fixtures import EchoIn, _echo, accepted_stuck
from PIL import Image

import falwidgets
from falwidgets.client import AsyncClient, Client, RetryPolicy
from falwidgets.runner._app import App, app


def _client(server: object) -> AsyncClient:
    return AsyncClient(base_url=server.url)  # type: ignore[attr-defined]


def _fake(answer: Callable[[httpx.Request], httpx.Response]) -> AsyncClient:
    return AsyncClient(
        key="fake-key-123456",
        transport=httpx.MockTransport(answer),
        retry=RetryPolicy(max_attempts=1),
    )


def _stuck_queue(request: httpx.Request) -> httpx.Response:
    if request.method == "POST":
        return accepted_stuck()
    if request.method == "PUT":
        return httpx.Response(202, json={"status": "CANCELLATION_REQUESTED"})
    if request.url.path.endswith("/stream"):
        body = 'data: {"status": "IN_QUEUE", "queue_position": 3}\n\n'
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})
    return httpx.Response(200, json={"status": "IN_QUEUE", "queue_position": 3})


def _wait(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.02)


def test_streaming_replaces_partials_and_is_journalled(local_server: object) -> None:
    ui = app("fal-ai/flux-krea-lora/stream", client=_client(local_server))
    assert ui.streaming
    seen: list[str] = []
    ui.observe(lambda ch: seen.append(json.dumps(ch["new"])), "result")
    ui.run({"prompt": "a paper boat", "num_inference_steps": 6})
    assert len(seen) >= 2  # partials replaced each other in the one result trait
    assert any('"kind": "stream"' in blocks for blocks in seen)  # drawn as stream blocks
    assert ui.last.output["images"][0]["url"] in json.dumps(ui.result)
    assert ui.status["state"] == "done" and ui.status["request_id"] == ui.last.request_id
    (entry,) = falwidgets.journal()
    assert entry.request_id == ui.last.request_id and entry.status == "COMPLETED"


def test_status_reports_the_queue_position() -> None:
    ui = app("fal-ai/flux-realism", client=_fake(_stuck_queue), timeout=30)
    seen: list[dict] = []
    ui.observe(lambda ch: seen.append(dict(ch["new"])), "status")

    async def scenario() -> None:
        run = ui.submit({"prompt": "wait"})
        for _ in range(300):
            if run.state == "queued" and run.position is not None:
                break
            await asyncio.sleep(0.02)
        ui.cancel()
        await asyncio.wait_for(ui.wait_async(), 15)

    asyncio.run(scenario())
    queued = [s for s in seen if s.get("state") == "queued" and s.get("position") == 3]
    assert queued and queued[-1]["text"] == "Queued · position 3"


def test_served_function_and_model_targets(local_server: object, echo_endpoint: str) -> None:
    ui = app(_echo, client=_client(local_server))
    assert ui.endpoint == echo_endpoint and {"text", "steps"} <= set(ui.fields)
    assert "test/echo" in ui.code()
    bare = app(EchoIn)
    assert bare.endpoint is None and bare.disabled_reason.startswith("No endpoint")
    with pytest.raises(RuntimeError, match="no endpoint"):
        bare.run({"text": "x"})
    with pytest.raises(TypeError, match="endpoint id"):
        app(42)

    def not_served() -> None: ...

    with pytest.raises(TypeError, match="not served"):
        app(not_served)


@pytest.mark.parametrize(
    "base_url", ["https://user:SECRETPW@proxy.example.org/", "https://proxy.example.org/t/SECRET1"]
)
def test_credentials_in_a_client_url_never_reach_the_page(base_url: str) -> None:
    ui = app("fal-ai/flux-realism", client=AsyncClient(base_url=base_url))
    state = json.dumps({k: v for k, v in ui.get_state().items() if not k.startswith("_")})
    assert "SECRET" not in state and "proxy.example.org" in ui.note


def test_deadline_raises_deadline_exceeded_with_the_request_id() -> None:
    ui = app("fal-ai/flux-realism", client=_fake(_stuck_queue), timeout=1.0)
    with pytest.raises(falwidgets.DeadlineExceeded) as caught:
        ui.run({"prompt": "never"})
    assert caught.value.request_id == "rid-stuck"
    assert ui.last.state == "failed" and ui.status["text"].startswith("Failed")
    assert ui.banner["title"] == "Deadline exceeded" and ui.banner["request_id"] == "rid-stuck"


def test_close_while_queued_cancels_on_the_server() -> None:
    cancels: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            cancels.append(str(request.url))
        return _stuck_queue(request)

    async def scenario() -> tuple[App, object]:
        ui = app("fal-ai/flux-realism", client=_fake(answer), timeout=30)
        run = ui.submit({"prompt": "y"})
        for _ in range(200):
            if run.state == "queued":
                break
            await asyncio.sleep(0.02)
        ui.close()
        for _ in range(300):
            if run.done and cancels:
                break
            await asyncio.sleep(0.02)
        return ui, run

    ui, run = asyncio.run(scenario())
    assert run.state == "cancelled" and cancels and cancels[0].endswith("/cancel")
    assert ui.comm is None  # one model, closed


def test_uploader_and_data_uris_are_forwarded(local_server: object) -> None:
    seen: list[str] = []

    def mine(data: bytes, content_type: str, name: str) -> str:
        seen.append(name)
        return "https://files.example/" + name

    ui = app("fal-ai/post-processing", client=_client(local_server), uploader=mine)
    ui.upload(["image_url"], b"x", "image/png", "a.png")
    ui.wait_uploads(10)
    assert seen == ["a.png"] and ui.value["image_url"] == "https://files.example/a.png"
    inline = app("fal-ai/post-processing", client=_client(local_server), data_uris=True)
    inline.upload(["image_url"], b"x", "image/png", "b.png")
    inline.wait_uploads(10)
    assert inline.value["image_url"].startswith("data:image/png;base64,")
    with pytest.raises(TypeError, match="either"):
        app("fal-ai/post-processing", uploader=mine, data_uris=True)


def test_run_waits_for_uploads_in_flight_off_the_kernel(local_server: object) -> None:
    gate = threading.Event()
    sync = Client(base_url=local_server.url)  # type: ignore[attr-defined]

    def slow(data: bytes, content_type: str, name: str) -> str:
        assert gate.wait(10), "the test never opened the gate"
        return sync.upload(data, content_type, name)

    ui = app("fal-ai/moondream3-preview/detect", client=_client(local_server), uploader=slow)
    ui.fill_example()
    buffer = io.BytesIO()
    Image.new("RGB", (32, 32), "red").save(buffer, "PNG")

    async def scenario() -> object:
        ui.upload(["image_url"], buffer.getvalue(), "image/png", "red.png")
        run = ui.submit()  # returns at once: the run waits for the file on the runner loop
        assert ui.status["text"] == "Waiting for uploads…" and not run.done
        assert run.request_id is None  # nothing is sent while the file uploads
        gate.set()
        await asyncio.wait_for(ui.wait_async(), 30)
        return run

    run = asyncio.run(scenario())
    assert run.state == "done", run.error
    assert run.arguments["image_url"].startswith(local_server.url)  # type: ignore[attr-defined]
