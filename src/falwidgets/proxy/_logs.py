"""What the proxy writes to its log: one line per call, a usage summary at exit, and httpx's own
request lines without their query strings.

Upstream URLs carry queries a log must not keep (``fal_webhook`` targets, ``fal_jwt_token``
realtime tokens), and httpx logs each request's full URL at INFO. :func:`shorten_httpx_urls` adds
a filter to the ``httpx`` logger that keeps scheme, host and path only: it applies to every httpx
client in the process (no other httpx log line needs a query either).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping

import httpx

logger = logging.getLogger("falwidgets.proxy")


class ShortUrls(logging.Filter):
    """Drops the query and fragment of every URL argument of an httpx log record (an
    ``httpx.URL``, or its text when another filter made it one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(_short(arg) for arg in record.args)
        return True


def _short(arg: object) -> object:
    if isinstance(arg, str) and arg.startswith(("http://", "https://")):
        arg = httpx.URL(arg)
    if isinstance(arg, httpx.URL):
        return str(arg.copy_with(query=None, fragment=None))
    return arg


def shorten_httpx_urls() -> None:
    """Install :class:`ShortUrls` on the ``httpx`` logger (once per process)."""
    httpx_logger = logging.getLogger("httpx")
    if not any(isinstance(f, ShortUrls) for f in httpx_logger.filters):
        httpx_logger.addFilter(ShortUrls())


def usage_lines(snapshot: Mapping[str, Mapping[str, object]]) -> list[str]:
    """One line per token label that was used (labels only, never tokens), e.g.
    ``usage seat 1: 1 submissions; calls submit=2; refused 429=1``."""
    return [
        f"usage {label}: {usage['submissions']} submissions; calls {_counts(usage['calls'])}; "
        f"refused {_counts(usage['refused'])}"
        for label, usage in snapshot.items()
        if usage["last_used"] is not None
    ]


def _counts(value: object) -> str:
    """``{"submit": 2, "status": 5}`` as ``status=5 submit=2`` (``none`` when empty)."""
    if not isinstance(value, Mapping) or not value:
        return "none" if isinstance(value, Mapping) else str(value)
    return " ".join(f"{key}={count}" for key, count in sorted(value.items()))
