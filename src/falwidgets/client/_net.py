"""A lean asyncio network backend for httpcore (the async client's sockets).

httpcore's default async backend goes through anyio, and at 64 concurrent jobs that layer was a
quarter of the event loop's time: a task-group check and a cancel scope per read and write, and
on every pool scan an idle-connection check that builds anyio's whole attribute table (a
``getpeername`` syscall each time). This backend is asyncio streams behind httpcore's documented
``AsyncNetworkBackend`` interface, with httpcore's own exception types, so httpx behaves exactly
as before: connection refused is still ``ConnectError`` (the one failure a submit may be re-sent
after), timeouts are still ``ConnectTimeout``/``ReadTimeout``/``WriteTimeout``.

Python 3.11+ only (``asyncio.timeout`` and ``StreamWriter.start_tls``); on 3.10 httpx keeps its
default backend. :func:`lean_backend_usable` says when the async client mounts it.
"""

from __future__ import annotations

import asyncio
import ssl
import sys
import urllib.request
from collections.abc import Iterable
from typing import Any

import httpcore
import httpx
from httpcore._utils import is_socket_readable

__all__ = ["AsyncioBackend", "async_transport", "lean_backend_usable"]

SUPPORTED = sys.version_info >= (3, 11)


class AsyncioStream(httpcore.AsyncNetworkStream):
    """One connection: an asyncio ``StreamReader``/``StreamWriter`` pair."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._reader = reader
        self._writer = writer
        self._socket = writer.get_extra_info("socket")

    async def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            async with asyncio.timeout(timeout):
                return await self._reader.read(max_bytes)
        except TimeoutError as error:
            raise httpcore.ReadTimeout(str(error) or "read timed out") from error
        except OSError as error:
            raise httpcore.ReadError(str(error) or type(error).__name__) from error

    async def write(self, buffer: bytes, timeout: float | None = None) -> None:
        if not buffer:
            return
        try:
            self._writer.write(buffer)
            async with asyncio.timeout(timeout):
                await self._writer.drain()
        except TimeoutError as error:
            raise httpcore.WriteTimeout(str(error) or "write timed out") from error
        except (OSError, RuntimeError) as error:  # RuntimeError: the transport is closed
            raise httpcore.WriteError(str(error) or type(error).__name__) from error

    async def aclose(self) -> None:
        self._writer.close()

    async def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.AsyncNetworkStream:
        try:
            async with asyncio.timeout(timeout):
                await self._writer.start_tls(ssl_context, server_hostname=server_hostname)
        except TimeoutError as error:
            self._writer.close()
            raise httpcore.ConnectTimeout(str(error) or "TLS handshake timed out") from error
        except (OSError, ValueError) as error:  # ssl.SSLError and CertificateError among them
            self._writer.close()
            raise httpcore.ConnectError(str(error) or type(error).__name__) from error
        self._socket = self._writer.get_extra_info("socket")
        return self

    def get_extra_info(self, info: str) -> Any:
        if info == "is_readable":  # an idle connection the server closed, or sent junk on
            return is_socket_readable(self._socket)
        if info == "ssl_object":
            return self._writer.get_extra_info("ssl_object")
        if info == "client_addr":
            return self._writer.get_extra_info("sockname")
        if info == "server_addr":
            return self._writer.get_extra_info("peername")
        if info == "socket":
            return self._socket
        return None


class AsyncioBackend(httpcore.AsyncNetworkBackend):
    """Opens :class:`AsyncioStream` connections (TCP or a Unix socket)."""

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        local = (local_address, 0) if local_address else None
        opening = asyncio.open_connection(
            host,
            port,
            local_addr=local,
            happy_eyeballs_delay=0.25,  # IPv6 and IPv4, as anyio
        )
        return await self._connect(opening, timeout, socket_options)

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.AsyncNetworkStream:
        return await self._connect(asyncio.open_unix_connection(path), timeout, socket_options)

    @staticmethod
    async def _connect(
        opening: Any, timeout: float | None, socket_options: Iterable[Any] | None
    ) -> AsyncioStream:
        try:
            async with asyncio.timeout(timeout):
                reader, writer = await opening
        except TimeoutError as error:
            raise httpcore.ConnectTimeout(str(error) or "connect timed out") from error
        except OSError as error:  # refused, unreachable, name resolution
            raise httpcore.ConnectError(str(error) or type(error).__name__) from error
        sock = writer.get_extra_info("socket")
        for option in socket_options or ():
            sock.setsockopt(*option)
        return AsyncioStream(reader, writer)

    async def sleep(self, seconds: float) -> None:
        await asyncio.sleep(seconds)


def async_transport(*, verify: ssl.SSLContext, limits: httpx.Limits) -> httpx.AsyncHTTPTransport:
    """httpx's own transport (request/response mapping, exception mapping), its connection pool
    rebuilt with the same settings on :class:`AsyncioBackend` where the Python allows."""
    transport = httpx.AsyncHTTPTransport(verify=verify, limits=limits)
    if SUPPORTED and isinstance(getattr(transport, "_pool", None), httpcore.AsyncConnectionPool):
        transport._pool = httpcore.AsyncConnectionPool(
            ssl_context=verify,
            max_connections=limits.max_connections,
            max_keepalive_connections=limits.max_keepalive_connections,
            keepalive_expiry=limits.keepalive_expiry,
            network_backend=AsyncioBackend(),
        )
    return transport


def lean_backend_usable() -> bool:
    """Whether the async client may mount :func:`async_transport` for ``all://``.

    A mount, not ``transport=``: httpx ignores proxy environment variables once a transport is
    given, while its per-scheme proxy mounts (``HTTPS_PROXY``, ``NO_PROXY``, ...) are more specific
    than ``all://`` and still win. ``ALL_PROXY`` is itself an ``all://`` mount, so with it set the
    client keeps httpx's defaults.
    """
    return SUPPORTED and "all" not in urllib.request.getproxies()
