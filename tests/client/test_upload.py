"""Uploads: CDN v3 single and multipart (streamed from disk), fallback, proxy, auto-upload."""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from client_fakes import BASE, StreamingMock, async_client, submitted

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


def _part_digests(path: Path, size: int, part_size: int) -> dict[int, str]:
    """sha256 of each part's byte range of ``path``, read in bounded chunks."""
    digests: dict[int, str] = {}
    with open(path, "rb") as handle:
        for number, offset in enumerate(range(0, size, part_size), start=1):
            handle.seek(offset)
            digest, left = hashlib.sha256(), min(part_size, size - offset)
            while left:
                chunk = handle.read(min(1 << 20, left))
                assert chunk, f"{path} ended early"
                digest.update(chunk)
                left -= len(chunk)
            digests[number] = digest.hexdigest()
    return digests


def _wrong_parts(expected: dict[int, Any], uploaded: dict[int, Any]) -> list[int]:
    """Part numbers whose uploaded bytes (or digest) differ from their range of the source."""
    numbers = expected.keys() | uploaded.keys()
    return sorted(n for n in numbers if expected.get(n) != uploaded.get(n))


@pytest.mark.slow
def test_multipart_300_mib_streams_parts_with_bounded_memory(mock_client, tmp_path) -> None:
    size = 300 * 1024 * 1024 + 12345
    path = tmp_path / "big.bin"
    with open(path, "wb") as handle:  # sparse file with distinct bytes at every MiB (so at every
        handle.truncate(size)  # part boundary and inside every part) and at its very end
        for n in [*range(0, size, 1 << 20), size - 64]:
            handle.seek(n)
            handle.write(os.urandom(64))
    parts: dict[int, str] = {}
    lengths: dict[int, int] = {}

    def complete(listed: list[dict[str, Any]]) -> None:
        assert [p["partNumber"] for p in listed] == sorted(parts)
        assert all(p["etag"] == f'"{parts[p["partNumber"]]}"' for p in listed)

    def part(number: int, request: httpx.Request) -> str:
        digest = hashlib.sha256()
        for chunk in request.stream:  # consume as a server would, never buffering the body
            digest.update(chunk)
            lengths[number] = lengths.get(number, 0) + len(chunk)
        assert int(request.headers["content-length"]) == lengths[number]
        parts[number] = digest.hexdigest()
        return f'"{parts[number]}"'

    handler = _multipart_cdn("big.bin", "u1", part, complete)
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
    # every part's hash matches the file's bytes at that part's range (read back in 1 MiB chunks)
    expected = _part_digests(path, size, _upload.PART_SIZE)
    assert lengths == {n: min(_upload.PART_SIZE, size - (n - 1) * _upload.PART_SIZE) for n in parts}
    assert _wrong_parts(expected, parts) == []
    # the check catches parts uploaded at swapped offsets
    assert _wrong_parts(expected, {**parts, 7: parts[8], 8: parts[7]}) == [7, 8]
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


# -- multipart: every part carries exactly its own byte range (small sizes, so it runs fast) ----

SMALL_PART = 1536 * 1024  # 1.5 MiB: parts end mid-way through the driver's 1 MiB read chunks


@pytest.fixture
def small_multipart(monkeypatch: pytest.MonkeyPatch) -> int:
    monkeypatch.setattr(_upload, "MULTIPART_THRESHOLD", 4 * 1024 * 1024)
    monkeypatch.setattr(_upload, "PART_SIZE", SMALL_PART)
    return SMALL_PART


def _multipart_cdn(
    name: str,
    upload_id: str,
    on_part: Callable[[int, httpx.Request], str],
    on_complete: Callable[[list[dict[str, Any]]], None],
) -> Callable[[httpx.Request], httpx.Response]:
    """A CDN v3 that takes multipart uploads: token, start, parts (``on_part`` reads one and
    returns its ETag), complete (``on_complete`` gets the listed parts)."""

    def handler(request: httpx.Request) -> httpx.Response:
        path_ = request.url.path
        if path_ == "/storage/auth/token":
            return httpx.Response(200, json=TOKEN)
        if path_ == "/files/upload/multipart":
            return httpx.Response(
                200, json={"access_url": f"http://cdn.test/f/{name}", "uploadId": upload_id}
            )
        if path_.endswith("/complete"):
            on_complete(json.loads(request.content)["parts"])
            return httpx.Response(200, json={"ok": True})
        assert request.method == "PUT" and path_.startswith(f"/f/{name}/multipart/{upload_id}/")
        return httpx.Response(200, headers={"etag": on_part(int(path_.rsplit("/", 1)[1]), request)})

    return handler


def _multipart_server(received: dict[int, bytes], completed: list[list[dict[str, Any]]]) -> Any:
    def part(number: int, request: httpx.Request) -> str:
        body = request.read()
        assert number not in received, f"part {number} uploaded twice"
        assert int(request.headers["content-length"]) == len(body)
        received[number] = body
        return f'"e{number}-{hashlib.md5(body).hexdigest()}"'

    return _multipart_cdn("data.bin", "u9", part, completed.append)


@pytest.mark.parametrize("kind", ["path", "bytes"])
@pytest.mark.parametrize("driver", ["sync", "async"])
def test_multipart_parts_match_their_byte_ranges(
    mock_client, small_multipart: int, tmp_path: Path, kind: str, driver: str
) -> None:
    data = os.urandom(5 * small_multipart + 777)  # 6 parts, the last one short
    path = tmp_path / "data.bin"
    path.write_bytes(data)
    value: Any = path if kind == "path" else data
    received: dict[int, bytes] = {}
    completed: list[list[dict[str, Any]]] = []
    handler = _multipart_server(received, completed)

    if driver == "sync":
        client, _ = mock_client(handler)
        url = client.upload(value, file_name="data.bin")
    else:

        async def main() -> str:
            async with async_client(handler) as aclient:
                return await aclient.upload(value, file_name="data.bin")

        url = asyncio.run(main())

    assert url == "http://cdn.test/f/data.bin"
    expected = {
        n: data[offset : offset + small_multipart]
        for n, offset in enumerate(range(0, len(data), small_multipart), start=1)
    }
    assert len(expected) == 6 and len(expected[6]) == 777
    assert _wrong_parts(expected, received) == []
    assert b"".join(received[n] for n in sorted(received)) == data
    # the check catches parts uploaded at swapped offsets
    assert _wrong_parts(expected, {**received, 2: received[3], 3: received[2]}) == [2, 3]
    (listed,) = completed  # completed once, every part in order with the ETag it got back
    assert listed == [
        {"partNumber": n, "etag": f'"e{n}-{hashlib.md5(expected[n]).hexdigest()}"'}
        for n in range(1, 7)
    ]


# -- fallback to storage/upload/initiate ------------------------------------------------------

GCS = {"upload_url": "http://gcs.test/put/1", "file_url": "http://gcs.test/data.bin"}


def _fallback_handler(
    fail: Any, where: str, puts: list[bytes], initiates: list[dict[str, Any]]
) -> Any:
    """Token at ``/storage/auth/token``, CDN at cdn.test; ``where`` (a path) fails with ``fail``:
    an HTTP status, or a transport error raised as if the host could not be reached."""

    def handler(request: httpx.Request) -> httpx.Response:
        path_ = request.url.path
        if path_ == where:
            if isinstance(fail, int):
                return httpx.Response(fail, text="<html>bad gateway</html>")
            raise fail("cannot reach the CDN", request=request)
        if path_ == "/storage/auth/token":
            return httpx.Response(200, json=TOKEN)
        if path_ == "/storage/upload/initiate":
            assert request.method == "POST" and request.url.params["storage_type"] == "gcs"
            initiates.append(json.loads(request.content))
            return httpx.Response(200, json=GCS)
        if str(request.url) == GCS["upload_url"]:
            assert request.method == "PUT" and "authorization" not in request.headers
            puts.append(request.read())
            return httpx.Response(200)
        raise AssertionError(f"unexpected {request.method} {request.url}")

    return handler


FAILURES = [
    pytest.param(404, id="404"),
    pytest.param(405, id="405"),
    pytest.param(500, id="500"),
    pytest.param(502, id="502"),
    pytest.param(503, id="503"),
    pytest.param(httpx.ConnectError, id="ConnectError"),
    pytest.param(httpx.ReadError, id="ReadError"),
    pytest.param(httpx.ConnectTimeout, id="ConnectTimeout"),
]


@pytest.mark.parametrize("fail", FAILURES)
def test_multipart_initiate_failure_falls_back_to_storage_initiate(
    mock_client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, fail: Any
) -> None:
    monkeypatch.setattr(_upload, "MULTIPART_THRESHOLD", 4096)  # this file goes multipart
    data = os.urandom(10_000)
    file = tmp_path / "data.bin"
    file.write_bytes(data)
    puts: list[bytes] = []
    initiates: list[dict[str, Any]] = []
    client, rec = mock_client(_fallback_handler(fail, "/files/upload/multipart", puts, initiates))
    assert client.upload(file) == GCS["file_url"]
    assert puts == [data]  # the whole file, once, to the presigned URL
    assert initiates == [{"file_name": "data.bin", "content_type": "application/octet-stream"}]
    assert "POST /files/upload/multipart" in rec.paths()
    assert not [p for p in rec.paths() if "/multipart/" in p]  # no part was ever sent


@pytest.mark.parametrize("fail", [p for p in FAILURES if p.id not in ("404", "405")])
@pytest.mark.parametrize("where", ["/storage/auth/token", "/files/upload"])
def test_unreachable_cdn_falls_back_to_storage_initiate(
    mock_client, tmp_path: Path, where: str, fail: Any
) -> None:
    data = os.urandom(5000)
    file = tmp_path / "data.bin"
    file.write_bytes(data)
    puts: list[bytes] = []
    initiates: list[dict[str, Any]] = []
    client, rec = mock_client(_fallback_handler(fail, where, puts, initiates))
    assert client.upload(file) == GCS["file_url"]
    assert puts == [data]
    assert initiates == [{"file_name": "data.bin", "content_type": "application/octet-stream"}]
    assert "POST " + where in rec.paths()  # the CDN was tried first
    assert rec.paths()[-2:] == ["POST /storage/upload/initiate", "PUT /put/1"]
