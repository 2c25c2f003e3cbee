"""The official `fal_client` (PyPI), aimed at the local server, completes every demo endpoint."""

from __future__ import annotations

import asyncio
import io
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import fal_client
import httpx
import pytest
from PIL import Image
from server_util import demo_inputs

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
        status = blocker.status()
        deadline = 50
        while not isinstance(status, fal_client.Completed) and deadline:
            status, deadline = blocker.status(), deadline - 1
            asyncio.run(asyncio.sleep(0.05))
        assert isinstance(status, fal_client.Completed) and status.error_type == "client_cancelled"


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


class _Recorder(BaseHTTPRequestHandler):
    """Records each request's method, path and Authorization; answers realtime tokens only."""

    seen: list[tuple[str, str, str]] = []

    def _record(self) -> None:
        self.seen.append((self.command, self.path, self.headers.get("authorization", "")))
        length = int(self.headers.get("content-length") or 0)
        self.rfile.read(length)

    def do_POST(self) -> None:
        self._record()
        body = b'"local-realtime-token"' if self.path == "/tokens/" else b'{"detail": "no"}'
        self.send_response(200 if self.path == "/tokens/" else 404)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self) -> None:  # a websocket upgrade: refused, but recorded
        self._record()
        self.send_response(404)
        self.send_header("content-length", "0")
        self.end_headers()

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def recorder() -> Iterator[tuple[str, list[tuple[str, str, str]]]]:
    seen: list[tuple[str, str, str]] = []
    handler = type("Handler", (_Recorder,), {"seen": seen})
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", seen
    httpd.shutdown()
    httpd.server_close()


def test_a_real_key_is_never_sent_by_a_pointed_fal_client(
    recorder: tuple[str, list[tuple[str, str, str]]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Realtime, websockets and clients made without a key all use the dummy key, never
    FAL_KEY; the calls reach the pointed server (not fal), which records them."""
    url, seen = recorder
    sentinel = "sentinel-id:sentinel-SECRET"
    monkeypatch.setenv("FAL_KEY", sentinel)

    def refused(call: Any) -> None:
        with pytest.raises(Exception) as caught:  # the recorder refuses every upgrade
            call()
        assert sentinel not in str(caught.value)

    def realtime() -> None:
        with fal_client.realtime("fal-ai/fast-sdxl") as connection:
            connection.send({"prompt": "x"})

    def ws_connect() -> None:
        with fal_client.ws_connect("fal-ai/fast-sdxl", use_jwt=False):
            pass

    async def realtime_async() -> None:
        async with fal_client.realtime_async("fal-ai/fast-sdxl") as connection:
            await connection.send({"prompt": "x"})

    async def ws_connect_async() -> None:
        async with fal_client.ws_connect_async("fal-ai/fast-sdxl"):
            pass

    before = (fal_client.client.REST_URL, fal_client.client.fetch_auth_credentials, fal_client.run)
    with point_fal_client(url):
        refused(realtime)
        refused(ws_connect)
        refused(lambda: asyncio.run(realtime_async()))
        refused(lambda: asyncio.run(ws_connect_async()))
        refused(lambda: fal_client.SyncClient().submit("fal-ai/fast-sdxl", {}))
        refused(lambda: asyncio.run(fal_client.AsyncClient().submit("fal-ai/fast-sdxl", {})))
    tokens = [s for s in seen if s[:2] == ("POST", "/tokens/")]
    upgrades = [s for s in seen if s[0] == "GET" and "/run/fal-ai/fast-sdxl" in s[1]]
    submits = [s for s in seen if s[:2] == ("POST", "/fal-ai/fast-sdxl")]
    assert (len(tokens), len(upgrades), len(submits)) == (3, 4, 2), seen
    assert all(auth in ("", "Key local:local") for _, _, auth in seen), seen
    assert all(sentinel not in path for _, path, _ in seen)
    # the module is back as it was
    assert (fal_client.client.REST_URL, fal_client.client.fetch_auth_credentials) == before[:2]
    assert fal_client.run == before[2]
