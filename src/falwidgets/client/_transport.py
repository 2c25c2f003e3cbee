"""The HTTP side of a client: one httpx client per ``Client``/``AsyncClient``, configured the
httpx way, shared by the blocking and asyncio clients (neither borrows from the other).

Every call, short or streamed, goes through the one httpx client and its connection pool, with
explicit :data:`DEFAULT_LIMITS`. ``verify``, ``limits``, ``event_hooks``, ``transport``,
``proxy`` (an HTTP forward proxy; fal's key-holding proxy is ``proxy_url``) and ``http2`` (needs
``httpx[http2]``) mean exactly what they mean to ``httpx.Client``; no private httpx or httpcore
attribute is touched. For many concurrent jobs (a sweep), ``_sharded`` has opt-in transports
that spread requests over several pools.
"""

from __future__ import annotations

import functools
import ssl
from collections.abc import Callable, Mapping, Sequence
from typing import Any, TypeVar

import httpx

__all__ = ["DEFAULT_LIMITS", "EventHooks", "default_ssl_context", "http_client"]

# httpx's own defaults, spelled out. Keep-alive stays small on purpose: httpcore rescans its pool
# on every request start and end, at a cost that grows with idle connections times pool size, so
# 64 keep-alive slots made a 64-job sweep spend most of its CPU there (2.3x the function calls of
# these limits in bench/client.py's throughput run); with 20, a notebook's few requests keep their
# warm connections and a big sweep opens fresh ones instead.
DEFAULT_LIMITS = httpx.Limits(max_connections=100, max_keepalive_connections=20)

EventHooks = Mapping[str, Sequence[Callable[..., Any]]]
H = TypeVar("H", httpx.Client, httpx.AsyncClient)


@functools.cache
def default_ssl_context() -> ssl.SSLContext:
    """One verifying TLS context for every client that keeps the default ``verify=True``:
    loading the CA bundle costs ~25 ms, and every client would otherwise load its own."""
    return httpx.create_ssl_context()


def http_client(
    cls: type[H],
    *,
    transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
    verify: ssl.SSLContext | str | bool = True,
    limits: httpx.Limits | None = None,
    event_hooks: EventHooks | None = None,
    proxy: str | httpx.Proxy | httpx.URL | None = None,
    http2: bool = False,
) -> H:
    """The httpx client (``httpx.Client`` or ``httpx.AsyncClient``) of one falwidgets client.

    Redirects are followed (fal's CDN redirects downloads). Timeouts are set per call by the
    engine, so the client's own default never applies.
    """
    return cls(
        transport=transport,  # type: ignore[arg-type]
        verify=default_ssl_context() if verify is True else verify,
        limits=limits or DEFAULT_LIMITS,
        event_hooks={k: list(v) for k, v in (event_hooks or {}).items()},
        proxy=proxy,
        http2=http2,
        follow_redirects=True,
    )
