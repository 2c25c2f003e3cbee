"""What ``Client`` and ``AsyncClient`` share: the one constructor signature, the read-only facts
about where a client sends calls (for the runner layer), and a repr that never shows a secret.

Safe to show: the proxy URL comes back without its ``/t/<token>`` path or ``user:pass@``, and
nothing here reveals the key.
"""

from __future__ import annotations

import ssl
from typing import Generic, TypeVar

import httpx

from falwidgets.client._engine import DEFAULT_WAIT, Engine
from falwidgets.client._errors import redact_url
from falwidgets.client._journal import Journal
from falwidgets.client._retry import RetryPolicy
from falwidgets.client._transport import EventHooks, http_client
from falwidgets.client._urls import Hosts

__all__ = ["ClientBase"]

H = TypeVar("H", httpx.Client, httpx.AsyncClient)


class ClientBase(Generic[H]):
    """fal's queue protocol over one httpx client (``H``: blocking or asyncio)."""

    _http_class: type[H]

    def __init__(
        self,
        key: str | None = None,
        *,
        base_url: str | None = None,
        queue_url: str | None = None,
        run_url: str | None = None,
        rest_url: str | None = None,
        cdn_url: str | None = None,
        proxy_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        wait: float = DEFAULT_WAIT,
        retry: RetryPolicy | None = None,
        journal: bool | Journal = True,
        use_sse: bool = True,
        on_ambiguous: str = "reconcile",
        transport: httpx.BaseTransport | httpx.AsyncBaseTransport | None = None,
        verify: ssl.SSLContext | str | bool = True,
        limits: httpx.Limits | None = None,
        event_hooks: EventHooks | None = None,
        proxy: str | httpx.Proxy | httpx.URL | None = None,
        http2: bool = False,
    ) -> None:
        """Configure the client; nothing connects until the first call.

        ``key``: a fal key (default: ``FAL_KEY``, else ``FAL_KEY_ID`` + ``FAL_KEY_SECRET``); a
        key from the environment is only ever sent to fal's own hosts. ``base_url`` points
        queue, run, rest and CDN at one server (e.g. ``falwidgets serve``); ``queue_url``/
        ``run_url``/``rest_url``/``cdn_url`` set one host each. ``proxy_url`` sends every call
        through a key-holding fal proxy (``x-fal-target-url``); there ``key`` is your proxy
        token and a key from the environment is never sent. ``timeout`` bounds each HTTP call;
        ``wait`` is the default total for ``subscribe``/``result``; ``retry`` is the
        :class:`RetryPolicy`; ``journal=False`` records nothing; ``use_sse=False`` polls status
        instead of streaming it. ``on_ambiguous`` says what a submit whose answer was lost does
        (``"reconcile"``: look for it in fal's request history, see ``_reconcile``; ``"resubmit"``:
        also send it again once where absence cannot be proven; ``"raise"``: raise at once).

        HTTP, the httpx way (see ``_transport``): ``transport``, ``verify``, ``limits``,
        ``event_hooks``, ``proxy`` (an HTTP forward proxy) and ``http2`` (needs
        ``httpx[http2]``) go to the one ``httpx.Client``/``httpx.AsyncClient`` this client owns
        and closes.
        """
        self._engine = Engine(  # first: a bad argument raises before any connection pool exists
            key,
            base_url=base_url,
            queue_url=queue_url,
            run_url=run_url,
            rest_url=rest_url,
            cdn_url=cdn_url,
            proxy_url=proxy_url,
            timeout=timeout,
            wait=wait,
            retry=retry,
            journal=journal,
            use_sse=use_sse,
            on_ambiguous=on_ambiguous,
        )
        self._http: H = http_client(
            self._http_class,
            transport=transport,
            verify=verify,
            limits=limits,
            event_hooks=event_hooks,
            proxy=proxy,
            http2=http2,
        )

    def __repr__(self) -> str:
        engine = self._engine
        where = (
            f"proxy_url={redact_url(engine.proxy_url)!r}"
            if engine.proxy_url
            else f"queue={redact_url(engine.hosts.queue)!r}"
        )
        return f"{type(self).__name__}({where}, key={'set' if engine.creds.key else 'none'})"

    @property
    def hosts(self) -> Hosts:
        """The queue, run, rest and CDN base URLs this client calls (or targets via a proxy)."""
        return self._engine.hosts

    @property
    def base_url(self) -> str:
        """The queue host: where submits go (``base_url`` when one server serves everything)."""
        return self._engine.hosts.queue

    @property
    def proxy_url(self) -> str | None:
        """The proxy every call goes through, without any token in it; ``None`` when direct."""
        return redact_url(self._engine.proxy_url)

    @property
    def proxy_origin(self) -> str | None:
        """Only ``scheme://host[:port]`` of the proxy (what a banner or log should show)."""
        proxy = self._engine.proxy_url
        if not proxy:
            return None
        url = httpx.URL(proxy)
        port = f":{url.port}" if url.port else ""
        return f"{url.scheme}://{url.host}{port}"

    @property
    def journalling(self) -> bool:
        """Whether calls are recorded in the journal (``journal=False`` turns it off)."""
        return self._engine.journal is not None

    @property
    def has_key(self) -> bool:
        """Whether a key (or, in proxy mode, a proxy token) will be sent; never the key itself."""
        return bool(self._engine.creds.key)
