"""Endpoint id -> URL rules and the hosts a client talks to.

Submit and run use the full endpoint id (``fal-ai/flux-pro/kontext/max``); status, result and
cancel use only ``[namespace/]owner/app`` (``fal-ai/flux-pro``), though the client prefers the URLs
the submit response returned. ``base_url`` points every host at one server laid out like
``falwidgets serve``: queue, rest (storage) and CDN at ``base_url``, the ``fal.run`` path at
``base_url/run``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["DEFAULT_HOSTS", "EndpointId", "Hosts", "parse_endpoint"]

_NAMESPACES = ("workflows", "comfy")
RUN_PREFIX = "run"  # a one-server layout serves fal.run under <base_url>/run
_LEGACY = re.compile(r"^([0-9]+)-([a-zA-Z0-9-]+)$")
_PART = re.compile(r"^[A-Za-z0-9._~@+-]+$")


@dataclass(frozen=True)
class EndpointId:
    """A parsed endpoint id: ``[namespace/]owner/app[/path]``."""

    owner: str
    app: str
    path: str = ""
    namespace: str | None = None

    @property
    def app_id(self) -> str:
        """``[namespace/]owner/app``: the prefix of status, result and cancel URLs."""
        prefix = f"{self.namespace}/" if self.namespace else ""
        return f"{prefix}{self.owner}/{self.app}"

    @property
    def full(self) -> str:
        """The full id, used by submit, run and stream."""
        return f"{self.app_id}/{self.path}" if self.path else self.app_id


def parse_endpoint(endpoint: str) -> EndpointId:
    """Split an endpoint id the way fal's official clients do, with a clear error on bad input."""
    if not isinstance(endpoint, str) or not endpoint.strip():
        raise ValueError(f"endpoint must be a string like 'fal-ai/flux/dev', got {endpoint!r}")
    parts = [p for p in endpoint.strip().strip("/").split("/") if p]
    for part in parts:
        if not _PART.match(part):
            raise ValueError(f"invalid endpoint id {endpoint!r}: bad segment {part!r}")
    if len(parts) == 1:
        legacy = _LEGACY.match(parts[0])
        if not legacy:
            raise ValueError(f"invalid endpoint id {endpoint!r}: expected 'owner/app[/path]'")
        return EndpointId(legacy.group(1), legacy.group(2))
    if parts[0] in _NAMESPACES:
        if len(parts) < 3:
            raise ValueError(f"invalid endpoint id {endpoint!r}: expected '{parts[0]}/owner/app'")
        return EndpointId(parts[1], parts[2], "/".join(parts[3:]), parts[0])
    return EndpointId(parts[0], parts[1], "/".join(parts[2:]))


@dataclass(frozen=True)
class Hosts:
    """Base URLs (no trailing slash) of fal's four services."""

    queue: str = "https://queue.fal.run"
    run: str = "https://fal.run"
    rest: str = "https://rest.fal.ai"
    cdn: str = "https://v3.fal.media"

    @classmethod
    def build(
        cls,
        base_url: str | None = None,
        *,
        queue_url: str | None = None,
        run_url: str | None = None,
        rest_url: str | None = None,
        cdn_url: str | None = None,
    ) -> Hosts:
        """Defaults, then ``base_url`` for every host, then any single-host override."""
        base = _clean(base_url) if base_url else None
        d = DEFAULT_HOSTS
        return cls(
            queue=_clean(queue_url) if queue_url else base or d.queue,
            run=_clean(run_url) if run_url else (f"{base}/{RUN_PREFIX}" if base else d.run),
            rest=_clean(rest_url) if rest_url else base or d.rest,
            cdn=_clean(cdn_url) if cdn_url else base or d.cdn,
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
