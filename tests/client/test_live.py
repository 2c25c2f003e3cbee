"""End to end against the real local server (``falwidgets.server.serve``) on 127.0.0.1."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from falwidgets.client import (
    AsyncClient,
    Cancelled,
    Client,
    Completed,
    Handle,
    InProgress,
    InputRejected,
    NotFound,
    Queued,
    _upload,
    journal,
)

PROMPT = {"prompt": "a lighthouse at dusk"}


@pytest.fixture
def client(local_server: Any) -> Iterator[Client]:
    with Client(base_url=local_server.url) as c:
        yield c


@pytest.fixture(scope="module")
def slow_server() -> Iterator[Any]:
    """One worker at real speed: requests queue up behind each other (for cancel tests)."""
    from falwidgets.server import serve

    with serve(port=0, workers=1, speed=1.0) as server:
        yield server


def test_submit_events_result_and_journal(client: Client) -> None:
    handle = client.submit("fal-ai/flux-realism", PROMPT)
    assert journal(limit=1)[0].status == "SUBMITTED"  # on disk before submit returned
    statuses = list(handle.events(logs=True))
    assert isinstance(statuses[-1], Completed) and statuses[-1].ok
    assert any(isinstance(s, InProgress) for s in statuses)
    lines = [entry["message"] for s in statuses for entry in getattr(s, "logs", [])]
    assert len(lines) == len(set(lines)) and any("step" in line for line in lines)
    result = handle.result()
    image = result["images"][0]
    assert image["url"].startswith(client.hosts.queue)
    assert httpx.get(image["url"]).content[:2] == b"\xff\xd8"  # a real JPEG
    entry = journal(limit=1)[0]
    assert (entry.request_id, entry.status, entry.endpoint) == (
        handle.request_id,
        "COMPLETED",
        "fal-ai/flux-realism",
    )
    assert entry.arguments == PROMPT and entry.result == result
    assert entry.base == client.hosts.queue and entry.metrics is not None
    assert entry.finished is not None and entry.finished >= entry.created


def test_status_logs_and_resume_by_id(client: Client) -> None:
    handle = client.submit("fal-ai/imagen4/preview", {"prompt": "a red fox"})
    first = handle.status(logs=True)
    assert isinstance(first, (Queued, InProgress, Completed))
    again = Handle.from_request_id(client, "fal-ai/imagen4/preview", handle.request_id)
    assert again.result(timeout=30)["images"]
    assert client.resume(handle.request_id).result(timeout=30)["images"]
    done = again.status(logs=True)
    assert isinstance(done, Completed) and done.logs  # polled status carries the full log
    with pytest.raises(NotFound) as info:
        client.handle("fal-ai/imagen4/preview", "no-such-request").status()
    assert info.value.request_id == "no-such-request"


def test_subscribe_on_update_run_and_stream(client: Client) -> None:
    updates: list[Any] = []
    enqueued: list[str] = []
    out = client.subscribe(
        "fal-ai/flux-realism",
        PROMPT,
        on_update=updates.append,
        on_enqueue=enqueued.append,
        timeout=60,
    )
    assert out["images"] and len(enqueued) == 1 and isinstance(updates[-1], Completed)
    assert client.run("fal-ai/flux-realism", PROMPT, timeout=60)["images"]
    events = list(client.stream("fal-ai/flux-krea-lora/stream", PROMPT, timeout=60))
    assert len(events) >= 2 and all(isinstance(e, dict) for e in events)
    assert events[-1]["images"]


def test_server_validation_error_maps_to_fields(client: Client) -> None:
    with pytest.raises(InputRejected) as info:
        client.subscribe("fal-ai/minimax-music/v1.5", {"prompt": "short"})
    locs = {tuple(e["loc"]) for e in info.value.errors}
    assert ("body", "prompt") in locs and ("body", "lyrics_prompt") in locs


def test_upload_round_trip_and_argument_upload(client: Client, tmp_path: Path, monkeypatch) -> None:
    data = bytes(range(256)) * 40
    url = client.upload(data, "application/octet-stream", "blob.bin")
    assert httpx.get(url).content == data
    file = tmp_path / "three.bin"
    payload = b"abc" * 700_000  # 2.1 MB -> 3 parts of 1 MiB with the thresholds below
    file.write_bytes(payload)
    monkeypatch.setattr(_upload, "MULTIPART_THRESHOLD", 1024 * 1024)
    monkeypatch.setattr(_upload, "PART_SIZE", 1024 * 1024)
    big = client.upload(file)
    assert httpx.get(big).content == payload
    from PIL import Image

    picture = tmp_path / "cat.png"
    Image.new("RGB", (64, 48), "white").save(picture)
    out = client.subscribe(
        "fal-ai/moondream3-preview/detect", {"image_url": picture, "prompt": "cat"}, timeout=60
    )
    assert isinstance(out, dict)
    sent = journal(limit=1, endpoint="fal-ai/moondream3-preview/detect")[0].arguments
    assert sent["image_url"].startswith(client.hosts.cdn)


def test_cancel_queued_running_and_completed(slow_server: Any) -> None:
    with Client(base_url=slow_server.url) as client:
        running = client.submit("fal-ai/flux-realism", PROMPT)
        queued = client.submit("fal-ai/flux-realism", PROMPT)
        assert isinstance(queued.status(), Queued)
        for status in running.events(timeout=30):
            if isinstance(status, InProgress):
                break
        assert queued.cancel() == "CANCELLATION_REQUESTED"
        assert running.cancel() == "CANCELLATION_REQUESTED"
        for handle in (queued, running):
            with pytest.raises(Cancelled) as info:
                handle.result(timeout=30)
            assert info.value.request_id == handle.request_id
        assert {e.status for e in journal(limit=2)} == {"CANCELLED"}
        quick = client.submit("fal-ai/flux-realism", {**PROMPT, "num_inference_steps": 1})
        quick.result(timeout=30)
        assert quick.cancel() == "ALREADY_COMPLETED"
        assert journal(limit=1)[0].status == "COMPLETED"


def test_async_client_end_to_end(local_server: Any, slow_server: Any) -> None:
    async def main() -> None:
        seen: list[Any] = []

        async def on_update(status: Any) -> None:
            seen.append(status)

        async with AsyncClient(base_url=local_server.url) as client:
            results = await asyncio.gather(
                *[
                    client.subscribe(
                        "fal-ai/flux-realism", {"prompt": f"p{i}"}, on_update=on_update, timeout=60
                    )
                    for i in range(6)
                ]
            )
            assert [r["prompt"] for r in results] == [f"p{i}" for i in range(6)]
            assert sum(isinstance(s, Completed) for s in seen) == 6
            handle = await client.submit("fal-ai/imagen4/preview", {"prompt": "a red fox"})
            assert isinstance(await handle.status(), (Queued, InProgress, Completed))
            assert (await handle.result(timeout=30))["images"]
            url = await client.upload(b"async bytes", "text/plain", "a.txt")
            assert httpx.get(url).content == b"async bytes"
            assert (await client.run("fal-ai/flux-realism", PROMPT))["images"]
            events = [e async for e in client.stream("fal-ai/flux-krea-lora/stream", PROMPT)]
            assert events[-1]["images"]
        async with AsyncClient(base_url=slow_server.url) as slow:
            job = await slow.submit("fal-ai/flux-realism", PROMPT)
            assert await job.cancel() in ("CANCELLATION_REQUESTED", "OK")
            with pytest.raises(Cancelled):
                await job.result(timeout=30)

    asyncio.run(main())


DEMOS = {
    "fal-ai/flux-realism": ("images", 0, "url"),
    "fal-ai/imagen4/preview": ("images", 0, "url"),
    "fal-ai/toon-crafter": ("video", "url"),
    "anthonywu/gamecraft": ("video", "url"),
    "fal-ai/minimax-music/v1.5": ("audio", "url"),
    "fal-ai/meshy/v5/multi-image-to-3d": ("model_glb", "url"),
    "fal-ai/moondream3-preview/detect": ("objects",),
}


@pytest.mark.parametrize("endpoint", sorted(DEMOS))
def test_every_demo_endpoint_through_the_client(client: Client, endpoint: str) -> None:
    """The project's own client against each demo of the local server, with the endpoint's
    documented example input; media outputs are fetched and must be real, non-empty files."""
    from falwidgets.schema import load_endpoint

    arguments = load_endpoint(endpoint).example()
    updates: list[Any] = []
    out = client.subscribe(endpoint, arguments, on_update=updates.append, timeout=60)
    assert isinstance(updates[-1], Completed) and updates[-1].ok
    value: Any = out
    for key in DEMOS[endpoint]:
        value = value[key]
    if isinstance(value, str):
        media = httpx.get(value)
        assert media.status_code == 200 and len(media.content) > 100
    else:
        assert isinstance(value, list)
    assert journal(limit=1)[0].status == "COMPLETED"


def test_streaming_demo_through_stream(client: Client) -> None:
    events = list(client.stream("fal-ai/flux-krea-lora/stream", PROMPT, timeout=60))
    assert len(events) >= 2 and events[-1]["images"][0]["url"].startswith(client.hosts.queue)
