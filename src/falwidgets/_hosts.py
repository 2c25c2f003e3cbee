"""Host rules shared by the client, the server, the proxy and the runner (the one home for each).

- :func:`is_fal_host`: fal's own hosts, the only ones a key from the environment is sent to and
  the only upstreams the workshop proxy forwards to.
- :func:`is_loopback`: this machine as seen from itself (``localhost``, ``*.localhost``,
  ``127.0.0.0/8``, ``::1``); a URL on such a host cannot be reached from another machine.
- :func:`is_this_machine`: loopback, or the unspecified address (``0.0.0.0``, ``::``) a server
  binds to and a local client may dial.

Stdlib only: every layer may import this module.
"""

from __future__ import annotations

import functools
import ipaddress

__all__ = ["FAL_HOST_SUFFIXES", "is_fal_host", "is_loopback", "is_this_machine"]

# every fal host is one of these or a subdomain (queue.fal.run, rest.fal.ai, v3.fal.media, ...)
FAL_HOST_SUFFIXES = ("fal.run", "fal.ai", "fal.media", "falrun.com")


def _normal(host: str) -> str:
    return host.strip().lower().rstrip(".").removeprefix("[").removesuffix("]")


@functools.lru_cache(maxsize=256)
def is_fal_host(host: str) -> bool:
    """True for fal's own hosts, which require a key (cached: asked on every call)."""
    host = _normal(host)
    return any(host == s or host.endswith("." + s) for s in FAL_HOST_SUFFIXES)


@functools.lru_cache(maxsize=256)
def is_loopback(host: str) -> bool:
    """True for names and addresses that always mean this machine."""
    host = _normal(host)
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_this_machine(host: str) -> bool:
    """Loopback, or the unspecified address a server listening on all interfaces binds to."""
    if is_loopback(host):
        return True
    try:
        return ipaddress.ip_address(_normal(host)).is_unspecified
    except ValueError:
        return False
