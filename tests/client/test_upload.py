"""Uploads: CDN v3 single and multipart (streamed from disk), fallback, proxy, auto-upload."""

from __future__ import annotations

import hashlib
import json
import os
import time
import tracemalloc
from pathlib import Path

import httpx
import pytest
from client_fakes import BASE, StreamingMock, submitted

from falwidgets.client import Client, _upload, data_uri

TOKEN = {
    "token": "tok",
    "token_type": "Bearer",
    "base_url": "http://cdn.test",
    "expires_at": "2099-01-01T00:00:00Z",
}


def test_cdn_v3_single_upload_and_token_cache(mock_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/storage/auth/token":
            assert request.url.params["storage_type"] == "fal-cdn-v3"
            return httpx.Response(200, json=TOKEN)
        assert str(request.url) == "http://cdn.test/files/upload"
        assert request.headers["authorization"] == "Bearer tok"
        name = request.headers["x-fal-file-name"]
        return httpx.Response(
            200,
            json={
                "access_url": f"http://cdn.test/f/{name}",
                "echo": request.content.decode(),
                "type": request.headers["content-type"],
            },
        )

    client, rec = mock_client(handler)
    assert client.upload(b"hello", file_name="a.txt") == "http://cdn.test/f/a.txt"
    assert client.upload(b"again", "image/png", "b.png") == "http://cdn.test/f/b.png"
    assert [r.headers["content-type"] for r in rec.requests[1:]] == ["text/plain", "image/png"]
    assert rec.paths().count("POST /storage/auth/token") == 1  # cached until it expires


def test_fallback_to_storage_initiate(mock_client, tmp_path: Path) -> None:
    file = tmp_path / "clip.mp4"
    file.write_bytes(b"\x00video" * 100)
    puts: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/storage/auth/token":
            return httpx.Response(404, json={"detail": "Path /storage/auth/token not found"})
        if request.url.path == "/storage/upload/initiate":
            assert request.url.params["storage_type"] == "gcs"
            body = json.loads(request.content)
            assert body == {"file_name": "clip.mp4", "content_type": "video/mp4"}
            return httpx.Response(
                200,
                json={
                    "upload_url": "http://gcs.test/put/1",
                    "file_url": "http://gcs.test/clip.mp4",
                },
            )
        assert request.method == "PUT" and "authorization" not in request.headers
        puts.append(request.read())
        return httpx.Response(200)

    client, _ = mock_client(handler)
    assert client.upload(file) == "http://gcs.test/clip.mp4"
    assert puts == [file.read_bytes()]


def test_proxy_upload_initiates_through_proxy_and_puts_direct(mock_client) -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url} {request.headers.get('x-fal-target-url')}")
        if request.method == "POST":
            return httpx.Response(
                200,
                json={
                    "upload_url": "http://s3.test/presigned",
                    "file_url": "https://v3.fal.media/files/x.bin",
                },
            )
        return httpx.Response(200)

    client, _ = mock_client(handler, base_url=None, proxy_url="http://proxy.test/api/fal/proxy")
    assert client.upload(b"abc") == "https://v3.fal.media/files/x.bin"
    assert seen == [
        "POST http://proxy.test/api/fal/proxy "
        "https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3",
        "PUT http://s3.test/presigned None",
    ]


@pytest.mark.slow
def test_multipart_300_mib_streams_parts_with_bounded_memory(mock_client, tmp_path) -> None:
    size = 300 * 1024 * 1024 + 12345
    path = tmp_path / "big.bin"
    with open(path, "wb") as handle:  # sparse file with distinct bytes at every part boundary
        handle.truncate(size)
        for n in range(0, size, _upload.PART_SIZE):
            handle.seek(n)
            handle.write(os.urandom(64))
    parts: dict[int, str] = {}
    lengths: dict[int, int] = {}

    def handler(request: httpx.Request) -> httpx.Response:
        path_ = request.url.path
        if path_ == "/storage/auth/token":
            return httpx.Response(200, json=TOKEN)
        if path_ == "/files/upload/multipart":
            return httpx.Response(
                200, json={"access_url": "http://cdn.test/f/big.bin", "uploadId": "u1"}
            )
        if path_.endswith("/complete"):
            listed = json.loads(request.content)["parts"]
            assert [p["partNumber"] for p in listed] == sorted(parts)
            assert all(p["etag"] == f'"{parts[p["partNumber"]]}"' for p in listed)
            return httpx.Response(200, json={"ok": True})
        number = int(path_.rsplit("/", 1)[1])
        digest = hashlib.sha256()
        for chunk in request.stream:  # consume as a server would, never buffering the body
            digest.update(chunk)
            lengths[number] = lengths.get(number, 0) + len(chunk)
        assert int(request.headers["content-length"]) == lengths[number]
        parts[number] = digest.hexdigest()
        return httpx.Response(200, headers={"etag": f'"{parts[number]}"'})

    client = Client(base_url=BASE, transport=StreamingMock(handler))
    tracemalloc.start()
    started = time.monotonic()
    try:
        url = client.upload(path)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    elapsed = time.monotonic() - started
    client.close()
    assert url == "http://cdn.test/f/big.bin"
    assert sum(lengths.values()) == size and len(parts) == 31
    # each part's hash matches the file's bytes at that range
    with open(path, "rb") as handle:
        handle.seek(30 * _upload.PART_SIZE)
        assert hashlib.sha256(handle.read()).hexdigest() == parts[31]
    assert peak < 24 * 1024 * 1024, f"peak Python allocation {peak / 2**20:.1f} MiB"
    assert elapsed < 60


def test_arguments_with_path_bytes_and_pil_are_uploaded(mock_client, tmp_path) -> None:
    from PIL import Image

    file = tmp_path / "in.png"
    Image.new("RGB", (4, 4), "red").save(file)
    uploads: list[str] = []
    submitted_body: list[dict] = []

    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/storage/auth/token":
            return httpx.Response(200, json=TOKEN)
        if request.url.host == "cdn.test":
            name = request.headers["x-fal-file-name"]
            uploads.append(f"{name}:{request.headers['content-type']}")
            return httpx.Response(200, json={"access_url": f"http://cdn.test/{name}"})
        submitted_body.append(json.loads(request.content))
        return httpx.Response(200, json=submitted())

    client, _ = mock_client(handler)
    image = Image.new("RGB", (2, 2), "blue")
    client.submit(
        "fal-ai/flux/dev",
        {"image_url": file, "mask": b"\x01\x02", "refs": [image, {"deep": file}], "prompt": "p"},
    )
    body = submitted_body[0]
    assert body["image_url"] == "http://cdn.test/in.png" == body["refs"][1]["deep"]
    assert body["mask"] == "http://cdn.test/upload.bin"
    assert body["refs"][0] == "http://cdn.test/image.png" and body["prompt"] == "p"
    assert sorted(uploads) == [
        "image.png:image/png",
        "in.png:image/png",
        "upload.bin:application/octet-stream",
    ]


def test_data_uri(tmp_path: Path) -> None:
    from PIL import Image

    assert data_uri(b"hi", "text/plain") == "data:text/plain;base64,aGk="
    file = tmp_path / "x.json"
    file.write_text("{}")
    assert data_uri(file) == "data:application/json;base64,e30="
    assert data_uri(Image.new("RGB", (1, 1))).startswith("data:image/png;base64,iVBOR")
    with pytest.raises(TypeError, match="bytes, a path or a PIL image"):
        data_uri(3.5)
    with pytest.raises(FileNotFoundError, match="nope"):
        data_uri(tmp_path / "nope")
    assert BASE
