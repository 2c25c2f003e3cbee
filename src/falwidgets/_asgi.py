"""ASGI plumbing shared by the local server and the workshop proxy (the one home for each).

- :func:`read_body`: a request body read whole, but never past a byte limit (a declared
  ``Content-Length`` over the limit is refused before a byte is read).
- :class:`UvicornThread`: uvicorn on a daemon thread, so a server runs inside a notebook kernel
  that already has an event loop: start, wait (with a deadline) until it serves, stop and join.

Imports only Starlette and uvicorn (already dependencies of both users), nothing of the package.
"""

from __future__ import annotations

import socket
import threading
import time
from typing import Any

import uvicorn
from starlette.requests import Request

__all__ = ["BodyTooLarge", "UvicornThread", "read_body"]


class BodyTooLarge(Exception):
    """A request body over ``limit`` bytes; ``declared`` is its Content-Length when that said so."""

    def __init__(self, limit: int, declared: int | None = None) -> None:
        self.limit = limit
        self.declared = declared
        if declared is None:
            super().__init__(f"body is over the limit of {limit} bytes")
        else:
            super().__init__(f"body of {declared} bytes is over the limit of {limit}")


async def read_body(request: Request, limit: int) -> bytes:
    """The whole body of ``request``, or :class:`BodyTooLarge` as soon as it passes ``limit``.

    Starlette's ``request.body()`` has no limit; a caller streaming gigabytes would fill memory.
    Raises Starlette's ``ClientDisconnect`` when the caller leaves mid-body.
    """
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge(limit, int(declared))
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge(limit)
        chunks.append(chunk)
    return b"".join(chunks)


class UvicornThread:
    """One uvicorn server on a daemon thread: ``start()`` returns once it accepts connections.

    ``sockets`` serves already-bound sockets (the caller then knows its port before starting);
    otherwise ``config`` names host and port and :attr:`address` reports what was bound.
    """

    def __init__(
        self, config: uvicorn.Config, *, name: str, sockets: list[socket.socket] | None = None
    ) -> None:
        self.server = uvicorn.Server(config)
        kwargs: dict[str, Any] = {"sockets": sockets} if sockets is not None else {}
        self._thread = threading.Thread(
            target=self.server.run, kwargs=kwargs, name=name, daemon=True
        )

    def start(self, deadline: float = 15.0, *, failure: str = "the server did not start") -> None:
        """Run the server and wait until it serves; ``RuntimeError(failure)`` if it dies first or
        is not serving after ``deadline`` seconds (it is stopped then)."""
        self._thread.start()
        end = time.monotonic() + deadline
        while not self.server.started:
            if not self._thread.is_alive() or time.monotonic() > end:
                self.stop()
                raise RuntimeError(failure)
            time.sleep(0.01)

    @property
    def address(self) -> tuple[str, int]:
        """``(host, port)`` of the first listening socket (valid once started)."""
        host, port = self.server.servers[0].sockets[0].getsockname()[:2]
        return host, port

    def stop(self, timeout: float = 10.0) -> None:
        """Ask uvicorn to exit (it finishes open responses first) and join its thread."""
        self.server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)
