"""Endpoint id -> URL rules and the hosts a client talks to.

Submit and run use the full endpoint id (``fal-ai/flux-pro/kontext/max``); status, result and
cancel use only ``[namespace/]owner/app`` (``fal-ai/flux-pro``), though the client prefers the URLs
the submit response returned. ``base_url`` points every host at one server laid out like
``falwidgets serve``: queue, rest (storage) and CDN at ``base_url``, the ``fal.run`` path at
``base_url/run``. The platform API (``https://api.fal.ai/v1/...``, request history) is at
``base_url/v1/...``: ``api`` is the base URL itself (see ``falwidgets._platform_wire``).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from falwidgets._endpoint_id import RUN_PREFIX, EndpointId, parse_endpoint

__all__ = ["DEFAULT_HOSTS", "RUN_PREFIX", "EndpointId", "Hosts", "parse_endpoint"]


@dataclass(frozen=True)
class Hosts:
    """Base URLs (no trailing slash) of fal's four services."""

    queue: str = "https://queue.fal.run"
    run: str = "https://fal.run"
    rest: str = "https://rest.fal.ai"
    cdn: str = "https://v3.fal.media"
    api: str = "https://api.fal.ai"  # the platform API; paths start with /v1

    @classmethod
    def build(
        cls,
        base_url: str | None = None,
        *,
        queue_url: str | None = None,
        run_url: str | None = None,
        rest_url: str | None = None,
        cdn_url: str | None = None,
        api_url: str | None = None,
    ) -> Hosts:
        """Defaults, then ``base_url`` for every host, then any single-host override."""
        base = _clean(base_url) if base_url else None
        d = DEFAULT_HOSTS
        return cls(
            queue=_clean(queue_url) if queue_url else base or d.queue,
            run=_clean(run_url) if run_url else (f"{base}/{RUN_PREFIX}" if base else d.run),
            rest=_clean(rest_url) if rest_url else base or d.rest,
            cdn=_clean(cdn_url) if cdn_url else base or d.cdn,
            api=_clean(api_url) if api_url else base or d.api,
        )

    def submit_url(self, endpoint: EndpointId) -> str:
        return f"{self.queue}/{endpoint.full}"

    def request_url(self, endpoint: EndpointId, request_id: str) -> str:
        return f"{self.queue}/{endpoint.app_id}/requests/{request_id}"

    def run_url(self, endpoint: EndpointId) -> str:
        return f"{self.run}/{endpoint.full}"


def _clean(url: str) -> str:
    url = url.strip().rstrip("/")
    if not re.match(r"^https?://[^/]+", url):
        raise ValueError(f"expected an http(s) URL, got {url!r}")
    return url


DEFAULT_HOSTS = Hosts()
