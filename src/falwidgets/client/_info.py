"""Read-only facts about a client (where it sends calls, whether it journals) for the app layer.

Safe to show: the proxy URL comes back without its ``/t/<token>`` path or ``user:pass@``, and
nothing here reveals the key.
"""

from __future__ import annotations

from typing import Any

from falwidgets.client._urls import Hosts

__all__ = ["ClientInfo"]


class ClientInfo:
    """What ``Client`` and ``AsyncClient`` share (both keep their ``Engine`` in ``_engine``)."""

    _engine: Any

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
        from falwidgets.client._core import redact_url

        return redact_url(self._engine.proxy_url)

    @property
    def proxy_origin(self) -> str | None:
        """Only ``scheme://host[:port]`` of the proxy (what a banner or log should show)."""
        proxy = self._engine.proxy_url
        if not proxy:
            return None
        import httpx

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
