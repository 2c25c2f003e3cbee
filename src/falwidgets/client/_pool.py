"""A few small httpx clients used round-robin, in place of one big connection pool.

httpcore re-examines its whole pool every time a request starts or ends: each connection is
checked for expiry (a ``poll`` syscall per idle connection) and, for each idle connection, the
pool is listed again, so the cost grows with the square of the pool's size. At 64 concurrent jobs
that bookkeeping was half of the client's CPU. Spreading the connections over several clients of
at most a dozen connections each keeps every scan short; behaviour is otherwise unchanged
(keep-alive, limits, transports are per shard, and every shard has the same configuration).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from typing import Any, Generic, TypeVar

import httpx

__all__ = ["SHARDS", "Pool"]

C = TypeVar("C", httpx.Client, httpx.AsyncClient)
SHARDS = 12


class Pool(Generic[C]):
    """Round-robin over ``shards`` identical httpx clients (requests are built by ``_drive``)."""

    def __init__(self, make: Callable[[], C], shards: int = SHARDS) -> None:
        self.clients: list[C] = [make() for _ in range(max(1, shards))]
        self.is_async = isinstance(self.clients[0], httpx.AsyncClient)
        self._turn = itertools.cycle(self.clients)  # next() on a cycle is atomic under the GIL

    def send(self, request: httpx.Request, **kwargs: Any) -> Any:
        """``httpx.Client.send`` (or the awaitable of ``AsyncClient.send``) on the next shard."""
        return next(self._turn).send(request, **kwargs)

    def close(self) -> None:
        for client in self.clients:
            client.close()  # type: ignore[union-attr]

    async def aclose(self) -> None:
        for client in self.clients:
            await client.aclose()  # type: ignore[union-attr]
