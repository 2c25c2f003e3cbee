"""File uploads over fal's CDN v3 protocol, with the storage-initiate fallback (sans-IO).

- Single request up to 100 MiB: ``POST {rest}/storage/auth/token?storage_type=fal-cdn-v3`` (cached
  until it expires), then ``POST {cdn}/files/upload`` with the bytes -> ``access_url``.
- Above 100 MiB: multipart (``/files/upload/multipart``, 10 MiB parts ``PUT`` 4 at a time, then
  ``/complete``). Parts of a file on disk are streamed from disk in 1 MiB chunks, so memory stays
  bounded whatever the file size.
- When CDN v3 is unavailable (token or upload answers 404/405/5xx, or cannot be reached) the client
  falls back to ``POST {rest}/storage/upload/initiate?storage_type=gcs`` + ``PUT upload_url``.
- Proxy mode uses ``storage/upload/initiate?storage_type=fal-cdn-v3`` through the proxy (the only
  upload route a default fal proxy allows) and ``PUT``s to the presigned URL directly.
"""

from __future__ import annotations

import io
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from falwidgets.client._encode import guess_type, is_pil_image, pil_bytes
from falwidgets.client._errors import DeadlineExceeded, ServerError
from falwidgets.client._ops import FileSlice, Op, Parallel
from falwidgets.client._retry import Deadline, never_sent

__all__ = ["MULTIPART_THRESHOLD", "PART_SIZE", "Source", "source_of", "upload_op"]

MULTIPART_THRESHOLD = 100 * 1024 * 1024
PART_SIZE = 10 * 1024 * 1024
PARALLEL_PARTS = 4


@dataclass(frozen=True)
class Source:
    """What to upload: in-memory ``data`` or a ``file`` on disk, with its name and type."""

    size: int
    content_type: str
    file_name: str
    data: bytes | None = None
    file: Path | None = None

    def body(self, offset: int = 0, length: int | None = None) -> dict[str, Any]:
        """``content=``/``file=`` keyword arguments for ``Engine.call`` covering a byte range."""
        length = self.size - offset if length is None else length
        if self.file is not None:
            return {"file": FileSlice(self.file, offset, length)}
        assert self.data is not None
        return {"content": self.data[offset : offset + length]}


def source_of(value: Any, content_type: str | None = None, file_name: str | None = None) -> Source:
    """Normalise bytes, a path, a file object or a PIL image into a :class:`Source`."""
    if is_pil_image(value):
        data, guessed = pil_bytes(value)
        ext = guessed.split("/")[-1]
        return Source(len(data), content_type or guessed, file_name or f"image.{ext}", data=data)
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        name = file_name or "upload.bin"
        return Source(len(data), content_type or guess_type(file_name), name, data=data)
    if isinstance(value, (str, os.PathLike)):
        path = Path(value)
        if not path.is_file():
            raise FileNotFoundError(f"upload: no such file: {path}")
        name = file_name or path.name
        return Source(path.stat().st_size, content_type or guess_type(name), name, file=path)
    if hasattr(value, "read"):
        name = file_name or Path(str(getattr(value, "name", "upload.bin"))).name
        real = getattr(value, "name", None)
        if isinstance(real, str) and Path(real).is_file() and not isinstance(value, io.BytesIO):
            path = Path(real)
            return Source(path.stat().st_size, content_type or guess_type(name), name, file=path)
        data = value.read()
        if isinstance(data, str):
            data = data.encode()
        return Source(len(data), content_type or guess_type(name), name, data=data)
    raise TypeError(
        f"upload expects bytes, a path, a file object or a PIL image, got {type(value).__name__}"
    )


class _Unavailable(Exception):
    """CDN v3 cannot be used here: take the fallback."""


def _fallback_worthy(response: httpx.Response) -> bool:
    return response.status_code in (404, 405, 501) or response.status_code >= 500


def upload_op(
    engine: Any,
    value: Any,
    *,
    deadline: Deadline,
    content_type: str | None = None,
    file_name: str | None = None,
) -> Op[str]:
    """Upload ``value`` and return its public URL."""
    source = source_of(value, content_type, file_name)
    if engine.proxy_url:
        return (yield from _initiate(engine, source, deadline, "fal-cdn-v3"))
    try:
        return (yield from _cdn_v3(engine, source, deadline))
    except _Unavailable:
        return (yield from _initiate(engine, source, deadline, "gcs"))
    except (ServerError, DeadlineExceeded) as error:
        if not _unreachable(error, deadline):
            raise
        return (yield from _initiate(engine, source, deadline, "gcs"))


def _unreachable(error: ServerError | DeadlineExceeded, deadline: Deadline) -> bool:
    """The CDN could not be reached (no HTTP answer at all), with time left to fall back."""
    if isinstance(error, ServerError):
        return error.status_code is None
    cause = error.__cause__
    return isinstance(cause, Exception) and never_sent(cause) and not deadline.expired


def _token(engine: Any, deadline: Deadline) -> Op[dict[str, Any]]:
    cached = engine._cdn_token
    if cached and cached.get("_expires", 0) > time.time() + 30:
        return cached
    action = "upload: CDN token"
    call = engine.call(
        "POST",
        f"{engine.hosts.rest}/storage/auth/token",
        params={"storage_type": "fal-cdn-v3"},
        json={},
    )
    response = yield from engine.send(call, deadline, action)
    if response.status_code in (401, 403):
        raise engine.fail(response, action)
    if not response.is_success:
        if _fallback_worthy(response):
            raise _Unavailable
        raise engine.fail(response, action)
    body = response.json()
    if not isinstance(body, dict) or "token" not in body:
        raise _Unavailable
    expires = body.get("expires_at")
    try:
        from datetime import datetime

        stamp = datetime.fromisoformat(str(expires).replace("Z", "+00:00")).timestamp()
    except ValueError:
        stamp = time.time() + 300
    token = {**body, "_expires": stamp}
    engine._cdn_token = token
    return token


def _cdn_v3(engine: Any, source: Source, deadline: Deadline) -> Op[str]:
    token = yield from _token(engine, deadline)
    base = str(token.get("base_url") or engine.hosts.cdn).rstrip("/")
    auth = {"authorization": f"{token.get('token_type') or 'Bearer'} {token['token']}"}
    headers = {**auth, "content-type": source.content_type, "x-fal-file-name": source.file_name}
    if source.size > MULTIPART_THRESHOLD:
        return (yield from _multipart(engine, source, deadline, base, headers))
    action = f"upload of {source.file_name} ({source.size} bytes)"
    call = engine.call(
        "POST", f"{base}/files/upload", headers=headers, auth=False, direct=True, **source.body()
    )
    response = yield from engine.send(call, deadline, action)
    if not response.is_success:
        if response.status_code in (401, 403):
            engine._cdn_token = None
        if _fallback_worthy(response):
            raise _Unavailable
        raise engine.fail(response, action)
    return _url(response, action, "access_url")


def _multipart(
    engine: Any, source: Source, deadline: Deadline, base: str, headers: dict[str, str]
) -> Op[str]:
    action = f"multipart upload of {source.file_name} ({source.size} bytes)"
    call = engine.call(
        "POST", f"{base}/files/upload/multipart", headers=headers, auth=False, direct=True, json={}
    )
    response = yield from engine.send(call, deadline, action)
    if not response.is_success:
        if _fallback_worthy(response):
            raise _Unavailable
        raise engine.fail(response, action)
    body = response.json()
    access_url, upload_id = body.get("access_url"), body.get("uploadId") or body.get("upload_id")
    if not access_url or not upload_id:
        raise ServerError(f"{action}: the multipart answer lacks access_url/uploadId: {body!r}")
    auth = {"authorization": headers["authorization"]}
    count = (source.size + PART_SIZE - 1) // PART_SIZE
    parts = [
        _part(engine, source, deadline, f"{access_url}/multipart/{upload_id}/{n}", n, auth)
        for n in range(1, count + 1)
    ]
    etags = yield Parallel(parts, limit=PARALLEL_PARTS)
    done = engine.call(
        "POST",
        f"{access_url}/multipart/{upload_id}/complete",
        headers=auth,
        auth=False,
        direct=True,
        json={"parts": [{"partNumber": n, "etag": e} for n, e in etags]},
    )
    response = yield from engine.send(done, deadline, f"{action}: complete")
    if not response.is_success:
        raise engine.fail(response, f"{action}: complete")
    return str(access_url)


def _part(
    engine: Any, source: Source, deadline: Deadline, url: str, number: int, auth: dict[str, str]
) -> Op[tuple[int, str]]:
    offset = (number - 1) * PART_SIZE
    length = min(PART_SIZE, source.size - offset)
    action = f"upload of part {number} of {source.file_name}"
    call = engine.call(
        "PUT",
        url,
        headers={**auth, "accept-encoding": "identity"},
        auth=False,
        direct=True,
        **source.body(offset, length),
    )
    response = yield from engine.send(call, deadline, action)
    if not response.is_success:
        raise engine.fail(response, action)
    etag = response.headers.get("etag")
    if not etag:
        raise ServerError(f"{action}: the server returned no ETag")
    return number, etag


def _initiate(engine: Any, source: Source, deadline: Deadline, storage: str) -> Op[str]:
    action = f"upload of {source.file_name} (initiate, {storage})"
    call = engine.call(
        "POST",
        f"{engine.hosts.rest}/storage/upload/initiate",
        params={"storage_type": storage},
        json={"file_name": source.file_name, "content_type": source.content_type},
    )
    response = yield from engine.send(call, deadline, action)
    if not response.is_success:
        raise engine.fail(response, action)
    body = response.json()
    upload_url, file_url = body.get("upload_url"), body.get("file_url")
    if not upload_url or not file_url:
        raise ServerError(f"{action}: the answer lacks upload_url/file_url: {str(body)[:200]!r}")
    put = engine.call(
        "PUT",
        upload_url,
        headers={"content-type": source.content_type},
        auth=False,
        direct=True,
        **source.body(),
    )
    response = yield from engine.send(put, deadline, f"{action}: PUT")
    if not response.is_success:
        raise engine.fail(response, f"{action}: PUT")
    return str(file_url)


def _url(response: httpx.Response, action: str, key: str) -> str:
    try:
        body = response.json()
    except ValueError as error:
        raise ServerError(f"{action}: the answer is not JSON: {response.text[:200]!r}") from error
    url = body.get(key) if isinstance(body, dict) else None
    if not url:
        raise ServerError(f"{action}: the answer has no {key}: {str(body)[:200]!r}")
    return str(url)
