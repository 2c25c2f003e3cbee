"""Which base URL a response should use, and moving URLs from one base to another.

The server stores every URL it issues (file URLs in outputs, upload targets) under one canonical
base: `public_url` when given, else its own loopback URL. On loopback that is what every client
uses. Bound to another interface (`--host 0.0.0.0`) with no `public_url`, clients on other machines
reach it by a name or address the server cannot know in advance, so each response is rebased onto
the base the request came in on (its scheme and validated Host header).
"""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import urlsplit

from starlette.requests import Request

# host[:port] as a client may send it: a DNS name, an IPv4 address or a bracketed IPv6 address
_HOST = re.compile(
    r"^(?:[A-Za-z0-9][A-Za-z0-9-]{0,62}(?:\.[A-Za-z0-9-]{1,63})*|\[[0-9A-Fa-f:.]+\])(?::\d{1,5})?$"
)


def normalise_public_url(url: str) -> str:
    """`http(s)://host[:port][/prefix]` without a trailing slash; ValueError otherwise."""
    parts = urlsplit(url.strip())
    if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
        raise ValueError(f"public_url must look like http(s)://host[:port][/prefix], got {url!r}")
    return f"{parts.scheme}://{parts.netloc}{parts.path.rstrip('/')}"


def request_base(request: Request, canonical: str, *, from_host: bool) -> str:
    """The base URL to answer this request with (see the module docstring)."""
    if not from_host:
        return canonical
    host = request.headers.get("host", "")
    if not _HOST.match(host):
        return canonical
    scheme = "https" if request.url.scheme == "https" else "http"
    return f"{scheme}://{host}"


def rebase(value: Any, old: str, new: str) -> Any:
    """A copy of JSON `value` with every string under `old` moved under `new` (others untouched)."""
    if not old or old == new:
        return value
    prefix = old + "/"

    def move(node: Any) -> Any:
        if isinstance(node, str):
            if node == old or node.startswith(prefix):
                return new + node[len(old) :]
            return node
        if isinstance(node, dict):
            return {key: move(item) for key, item in node.items()}
        if isinstance(node, list):
            return [move(item) for item in node]
        return node

    return move(value)
