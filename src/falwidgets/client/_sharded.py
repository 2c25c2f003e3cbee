"""Opt-in transports that spread requests over several httpx connection pools.

Why they exist: httpcore re-examines its whole pool every time a request starts or ends, and the
cost grows with the square of the pool's size (for each idle connection it counts the pool
again, and checks every idle socket for expiry). A notebook with a few requests in flight never
notices; a sweep with 64 jobs in flight, each holding a status stream, spends much of its event
loop there, or (with the small default keep-alive) reconnects often. Several small pools keep
every scan short and their connections warm (``bench/client.py`` has a row for each).

How: ``ShardedTransport`` / ``AsyncShardedTransport`` hold ``shards`` ordinary
``httpx.HTTPTransport`` / ``httpx.AsyncHTTPTransport`` objects (each with ``limits``) and send
each request to the one with the fewest requests in flight, the first on a tie: calls made one
after another reuse the first shard's warm connection, concurrent calls spread out. A response
counts as in flight until its body is closed. Only public httpx API is used::

    client = AsyncClient(transport=AsyncShardedTransport(shards=8))
"""

from __future__ import annotations

import threading
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any

import httpx

from falwidgets.client._transport import default_ssl_context

__all__ = ["AsyncShardedTransport", "ShardedTransport"]

SHARD_LIMITS = httpx.Limits(max_connections=32, max_keepalive_connections=16)


class _Shards:
    """Which shard is least busy; a lock because sync clients are shared between threads."""

    def __init__(self, count: int) -> None:
        if not isinstance(count, int) or count < 1:
            raise ValueError(f"shards must be a positive integer, got {count!r}")
        self.busy = [0] * count
        self._lock = threading.Lock()

    def take(self) -> int:
        with self._lock:
            index = self.busy.index(min(self.busy))
            self.busy[index] += 1
            return index

    def releaser(self, index: int) -> Callable[[], None]:
        """A callable that gives ``index`` back once, however often it is called."""
        done = False

        def release() -> None:
            nonlocal done
            with self._lock:
                if not done:
                    done = True
                    self.busy[index] -= 1

        return release


class _SyncBody(httpx.SyncByteStream):
    def __init__(self, stream: Any, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release = release

    def __iter__(self) -> Iterator[bytes]:
        yield from self._stream

    def close(self) -> None:
        try:
            self._stream.close()
        finally:
            self._release()


class _AsyncBody(httpx.AsyncByteStream):
    def __init__(self, stream: Any, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._stream:
            yield chunk

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            self._release()


def _wrapped(
    response: httpx.Response, stream: httpx.SyncByteStream | httpx.AsyncByteStream
) -> httpx.Response:
    """The same answer with its body wrapped (so closing it gives the shard back)."""
    return httpx.Response(
        response.status_code,
        headers=response.headers,
        stream=stream,
        extensions=response.extensions,
    )


class ShardedTransport(httpx.BaseTransport):
    """``shards`` ``httpx.HTTPTransport`` pools (blocking); see the module docstring."""

    def __init__(
        self, shards: int = 8, *, limits: httpx.Limits = SHARD_LIMITS, **options: Any
    ) -> None:
        self._shards = _Shards(shards)
        options.setdefault("verify", default_ssl_context())  # one CA bundle load, not one per shard
        self.transports = [httpx.HTTPTransport(limits=limits, **options) for _ in range(shards)]

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        index = self._shards.take()
        release = self._shards.releaser(index)
        try:
            response = self.transports[index].handle_request(request)
        except BaseException:
            release()
            raise
        return _wrapped(response, _SyncBody(response.stream, release))

    def close(self) -> None:
        for transport in self.transports:
            transport.close()


class AsyncShardedTransport(httpx.AsyncBaseTransport):
    """``shards`` ``httpx.AsyncHTTPTransport`` pools (asyncio); see the module docstring."""

    def __init__(
        self, shards: int = 8, *, limits: httpx.Limits = SHARD_LIMITS, **options: Any
    ) -> None:
        self._shards = _Shards(shards)
        options.setdefault("verify", default_ssl_context())  # one CA bundle load, not one per shard
        self.transports = [
            httpx.AsyncHTTPTransport(limits=limits, **options) for _ in range(shards)
        ]

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = self._shards.take()
        release = self._shards.releaser(index)
        try:
            response = await self.transports[index].handle_async_request(request)
        except BaseException:
            release()
            raise
        return _wrapped(response, _AsyncBody(response.stream, release))

    async def aclose(self) -> None:
        for transport in self.transports:
            await transport.aclose()
