"""The official `fal_client` (PyPI), aimed at the local server, completes every demo endpoint."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import fal_client
import httpx
import pytest
from PIL import Image
from server_util import demo_inputs

from _wait import wait_until
from falwidgets.server import point_fal_client, serve

ENDPOINTS = sorted(demo_inputs("x"))


@pytest.fixture(scope="module")
def patched(local_server: Any) -> Iterator[Any]:
    with point_fal_client(local_server.url):
        yield local_server


@pytest.fixture(scope="module")
def uploaded(patched: Any, tmp_path_factory: pytest.TempPathFactory) -> str:
    """A PNG uploaded with fal_client.upload_file (CDN v3 token + upload on the local server)."""
    path = tmp_path_factory.mktemp("up") / "keyframe.png"
    Image.new("RGB", (256, 192), "teal").save(path)
    url = fal_client.upload_file(path)
    assert url.startswith(patched.url + "/files/") and url.endswith("/keyframe.png")
    assert httpx.get(url).content == path.read_bytes()
    return url


@pytest.mark.parametrize("endpoint_id", ENDPOINTS)
def test_subscribe(endpoint_id: str, patched: Any, uploaded: str) -> None:
    updates: list[Any] = []
    result = fal_client.subscribe(
        endpoint_id,
        demo_inputs(uploaded)[endpoint_id],
        with_logs=True,
        on_queue_update=updates.append,
        client_timeout=60,
    )
    final = updates[-1]
    assert isinstance(final, fal_client.Completed) and final.error is None
    assert any("step 1/" in entry["message"] for entry in final.logs)
    assert result and all(isinstance(k, str) for k in result)


@pytest.mark.parametrize("endpoint_id", ENDPOINTS)
def test_submit_status_result(endpoint_id: str, patched: Any, uploaded: str) -> None:
    handle = fal_client.submit(endpoint_id, demo_inputs(uploaded)[endpoint_id])
    first = handle.status()
    assert isinstance(first, (fal_client.Queued, fal_client.InProgress, fal_client.Completed))
    result = handle.get()
    final = handle.status(with_logs=True)
    assert isinstance(final, fal_client.Completed) and final.error is None
    assert final.metrics["inference_time"] >= 0 and final.logs
    assert result == fal_client.result(endpoint_id, handle.request_id)
    assert isinstance(fal_client.status(endpoint_id, handle.request_id), fal_client.Completed)


def test_cancel_every_endpoint(tmp_path: Path) -> None:
    with serve(port=0, workers=1, speed=0.1) as server, point_fal_client(server.url):
        image = tmp_path / "k.png"
        Image.new("RGB", (64, 64), "red").save(image)
        url = fal_client.upload_file(image)
        blocker = fal_client.submit(
            "fal-ai/flux-realism", {"prompt": "blocker", "num_inference_steps": 2000}
        )
        handles = {eid: fal_client.submit(eid, args) for eid, args in demo_inputs(url).items()}
        for endpoint_id, handle in handles.items():
            handle.cancel()
            status = handle.status()
            assert isinstance(status, fal_client.Completed), endpoint_id
            assert status.error_type == "client_cancelled"
            with pytest.raises(fal_client.FalClientHTTPError):
                handle.cancel()  # ALREADY_COMPLETED is a 400
        fal_client.cancel("fal-ai/flux-realism", blocker.request_id)
        status = wait_until(
            lambda: next(
                (s for s in [blocker.status()] if isinstance(s, fal_client.Completed)), None
            ),
            10,
            "the cancelled blocker to complete",
        )
        assert status.error_type == "client_cancelled"


def test_run_stream_and_upload_variants(patched: Any, uploaded: str) -> None:
    result = fal_client.run(
        "fal-ai/moondream3-preview/detect", {"image_url": uploaded, "prompt": "teal"}
    )
    assert result["objects"]
    events = list(
        fal_client.stream("fal-ai/flux-krea-lora", {"prompt": "tower", "num_inference_steps": 8})
    )
    assert len(events) >= 3 and events[-1]["images"][0]["width"] == 1024
    url = fal_client.upload(b"raw bytes", "application/octet-stream", file_name="raw.bin")
    assert httpx.get(url).content == b"raw bytes"
    buffer = io.BytesIO()
    picture = Image.new("RGB", (40, 30), "blue")
    url = fal_client.upload_image(picture, format="png")
    buffer.write(httpx.get(url).content)
    assert Image.open(buffer).size == (40, 30)


def test_async_client(patched: Any, uploaded: str) -> None:
    async def main() -> dict[str, Any]:
        url = await fal_client.upload_async(b"async bytes", "text/plain")
        assert httpx.get(url).text == "async bytes"
        return await fal_client.subscribe_async(
            "fal-ai/imagen4/preview", {"prompt": "async fox"}, client_timeout=30
        )

    assert asyncio.run(main())["images"]


def test_multipart_upload(patched: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    import fal_client.client as fc

    monkeypatch.setattr(fc, "MULTIPART_THRESHOLD", 1024)
    monkeypatch.setattr(fc, "MULTIPART_CHUNK_SIZE", 1000)
    path = tmp_path / "big.bin"
    data = bytes(range(256)) * 20  # 5,120 bytes -> 6 parts
    path.write_bytes(data)
    url = fal_client.upload_file(path)
    assert httpx.get(url).content == data


def test_restore_puts_module_back(local_server: Any) -> None:
    before = fal_client.client.QUEUE_URL_FORMAT, fal_client.subscribe
    with point_fal_client(local_server.url):
        assert local_server.url + "/" == fal_client.client.QUEUE_URL_FORMAT
    assert (fal_client.client.QUEUE_URL_FORMAT, fal_client.subscribe) == before
