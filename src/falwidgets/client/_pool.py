"""A few small httpx clients in place of one big connection pool.

httpcore re-examines its whole pool every time a request starts or ends: each connection is
checked for expiry (a ``poll`` syscall per idle connection) and, for each idle connection, the
pool is listed again, so the cost grows with the square of the pool's size. At 64 concurrent jobs
that bookkeeping was half of the client's CPU. Spreading the connections over several clients of
at most a dozen connections each keeps every scan short; behaviour is otherwise unchanged
(keep-alive, limits, transports are per shard, and every shard has the same configuration).

Each request goes to the shard with the fewest requests in flight, the first one on a tie: calls
made one after another all use the first shard and its warm keep-alive connection (a new TLS
handshake to fal costs a round trip or two), while concurrent calls spread evenly. A streamed
response counts as in flight until the driver releases it.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Generic, TypeVar

import httpx

__all__ = ["SHARDS", "Pool"]

C = TypeVar("C", httpx.Client, httpx.AsyncClient)
SHARDS = 12


class Pool(Generic[C]):
    """``shards`` identical httpx clients; ``send``/``asend`` pick the least busy one."""

    def __init__(self, make: Callable[[], C], shards: int = SHARDS) -> None:
        self.clients: list[C] = [make() for _ in range(max(1, shards))]
        self.is_async = isinstance(self.clients[0], httpx.AsyncClient)
        self.default_headers = {k.lower(): v for k, v in self.clients[0].headers.items()}
        self._busy = [0] * len(self.clients)
        self._held: dict[int, int] = {}  # id(streamed response) -> its shard
        self._lock = threading.Lock()  # sync clients are shared between threads

    def _take(self) -> int:
        with self._lock:
            index = self._busy.index(min(self._busy))
            self._busy[index] += 1
            return index

    def _settle(self, index: int, response: httpx.Response | None, stream: bool) -> None:
        with self._lock:
            if stream and response is not None:
                self._held[id(response)] = index
            else:
                self._busy[index] -= 1

    def send(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """``httpx.Client.send`` on the least busy shard."""
        index = self._take()
        response = None
        try:
            response = self.clients[index].send(request, stream=stream)  # type: ignore[union-attr]
        finally:
            self._settle(index, response, stream)
        return response

    async def asend(self, request: httpx.Request, *, stream: bool = False) -> httpx.Response:
        """``httpx.AsyncClient.send`` on the least busy shard."""
        index = self._take()
        response = None
        try:
            response = await self.clients[index].send(request, stream=stream)  # type: ignore[misc]
        finally:
            self._settle(index, response, stream)
        return response

    def release(self, response: httpx.Response) -> None:
        """A streamed response was closed: its shard has one request less in flight."""
        with self._lock:
            index = self._held.pop(id(response), None)
            if index is not None:
                self._busy[index] -= 1

    def close(self) -> None:
        for client in self.clients:
            client.close()  # type: ignore[union-attr]

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()  # type: ignore[union-attr]
