"""The offline workshop room: a proxy in front of a local server on the teacher's laptop.

Behind a loopback upstream (``--upstream http://127.0.0.1:8765``) the server's answers name files
and upload targets on ``127.0.0.1``, which a student's laptop cannot reach. So, for a local
upstream only, the proxy

- rewrites those URLs in every answer (JSON and event streams) onto its own address as the
  student reached it (the request's ``Host``, when it is not loopback: a caller on the teacher's
  machine reaches the upstream as it is): ``<upstream>/files/…`` becomes ``<proxy>/files/…``,
  and ``<upstream>/storage/upload/put/…`` becomes ``<proxy>/storage/upload/put/…``;
- serves those two paths itself, without a token, by relaying them to the upstream: file ids are
  unguessable and a presigned upload URL is single-use, as on fal's CDN (``GET``/``HEAD`` a file,
  ``PUT`` an upload);
- rewrites the student's request bodies back (``<proxy>/files/…`` -> ``<upstream>/files/…``), so
  the server reads inputs it stored itself from disk instead of through the network.

With fal upstream (no ``--upstream``) nothing here applies: fal's media URLs are public already.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any

import httpx
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from falwidgets._hosts import is_loopback

__all__ = ["PUBLIC_PATHS", "Rewriter", "local_routes", "public_base"]

PUBLIC_PATHS = ("/files/", "/storage/upload/put/")
# host[:port] as a client may send it: a DNS name, an IPv4 address or a bracketed IPv6 address
_AUTHORITY = re.compile(
    r"^(?:[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$"
)
_RELAYED_HEADERS = ("content-type", "content-length", "etag", "cache-control", "last-modified")


def public_base(request: Request) -> str | None:
    """``scheme://host[:port]`` of the proxy as this request reached it (None if the Host header
    is not a plain authority: nothing is rewritten onto a forged name)."""
    host = request.headers.get("host", "")
    if not _AUTHORITY.match(host):
        return None
    scheme = "https" if request.url.scheme == "https" else "http"
    return f"{scheme}://{host}"


class Rewriter:
    """Byte-level URL moves between the upstream's base and the proxy's public base."""

    def __init__(self, upstream: str, public: str) -> None:
        self.pairs_out = [((upstream + p).encode(), (public + p).encode()) for p in PUBLIC_PATHS]
        self.pairs_in = [((public + "/files/").encode(), (upstream + "/files/").encode())]

    @staticmethod
    def _apply(data: bytes, pairs: list[tuple[bytes, bytes]]) -> bytes:
        for old, new in pairs:
            if old in data:
                data = data.replace(old, new)
        return data

    def outward(self, data: bytes) -> bytes:
        return self._apply(data, self.pairs_out)

    def inward(self, data: bytes) -> bytes:
        return self._apply(data, self.pairs_in)

    async def outward_lines(self, chunks: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """An event stream, rewritten line by line (a URL never straddles two chunks here)."""
        pending = b""
        async for chunk in chunks:
            pending += chunk
            cut = pending.rfind(b"\n")
            if cut < 0:
                continue
            done, pending = pending[: cut + 1], pending[cut + 1 :]
            yield self.outward(done)
        if pending:
            yield self.outward(pending)


def rewriter_for(proxy: Any, request: Request) -> Rewriter | None:
    """The rewriter for this request, when the upstream is a local server (else None)."""
    upstream = proxy.upstream
    if not upstream.local or not upstream.base:
        return None
    public = public_base(request)
    if public is None or public == upstream.base or is_loopback(request.url.hostname or ""):
        return None
    return Rewriter(upstream.base, public)


async def _relay(request: Request) -> Response:
    """``GET``/``HEAD`` ``/files/…`` and ``PUT`` ``/storage/upload/put/…`` to a local upstream."""
    proxy = request.app.state.proxy
    if not proxy.upstream.local or not proxy.upstream.base or proxy.client is None:
        return JSONResponse({"detail": "Not found"}, status_code=404)
    url = f"{proxy.upstream.base}{request.url.path}"
    headers = {k: v for k, v in request.headers.items() if k in ("content-type", "range")}
    body = request.stream() if request.method == "PUT" else None
    if request.method == "PUT" and "content-length" in request.headers:
        headers["content-length"] = request.headers["content-length"]
    upstream_request = proxy.client.build_request(
        request.method, url, headers=headers, content=body
    )
    try:
        answer = await proxy.client.send(upstream_request, stream=True)
    except httpx.HTTPError as exc:
        return JSONResponse(
            {"detail": f"upstream failed ({type(exc).__name__})", "error_type": "upstream_error"},
            status_code=502,
        )
    out = {k: v for k, v in answer.headers.items() if k in _RELAYED_HEADERS}
    out["access-control-allow-origin"] = "*"

    async def relay() -> AsyncIterator[bytes]:
        try:
            async for chunk in answer.aiter_raw():
                yield chunk
        finally:
            await answer.aclose()

    if request.method == "HEAD":
        await answer.aclose()
        return Response(b"", answer.status_code, headers=out)
    out.pop("content-length", None)
    return StreamingResponse(relay(), answer.status_code, headers=out)


def local_routes() -> list[Route]:
    """The token-free relay routes (they answer 404 unless the upstream is local)."""
    return [
        Route("/files/{path:path}", _relay, methods=["GET", "HEAD"]),
        Route("/storage/upload/put/{file_id}/{name}", _relay, methods=["PUT"]),
    ]
