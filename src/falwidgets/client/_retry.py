"""Retry policy and deadlines, shared by the sync and async drivers.

Policy
------
- **Status, result, cancel and uploads** are safe to repeat. They are retried on any transport
  error (connection refused or reset, timeouts) and on HTTP 408, 429, 502, 503 and 504, except a
  504 carrying ``X-Fal-Request-Timeout-Type`` (the caller's own ``start_timeout`` fired: a real
  outcome, not a glitch). The result of a request that completed with an error is fetched once.
  A cut or refused SSE status stream is not re-opened: the watcher polls status from then on
  (retried as above, full logs, nothing lost or repeated); ``client.stream`` is never re-sent.
- **Submit and run** create work on the server, so they are retried only when the server provably
  did not accept the request: nothing was sent (the connection could not be opened, or no pooled
  connection came free in time), or the server answered 429, or 503 without an
  ``x-fal-request-id`` (the gateway refused it; a 503 naming a request came from the app after it
  ran). A read timeout or a reset after the body was sent is *not* retried: the error says the
  request may exist, and no call ever makes two submissions.
- Backoff: ``base * 2**(attempt-1)`` seconds, jittered by a random factor in [0.5, 1.5], capped at
  ``max_delay``; at most ``max_attempts`` tries. A ``Retry-After`` header (seconds or HTTP date)
  replaces the computed delay, up to ``max_retry_after``.
- Every wait has a deadline: no retry sleeps past it, and each HTTP call's connect/read/write
  timeouts are clamped to the time left, so nothing hangs.
"""

from __future__ import annotations

import random
import time
from dataclasses import dataclass

import httpx

from falwidgets.client._errors import parse_retry_after

__all__ = ["Deadline", "RetryPolicy", "never_sent"]

_IDEMPOTENT_STATUSES = frozenset({408, 429, 502, 503, 504})
# transport errors raised before a single byte of the request left this machine
_NOT_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout, httpx.UnsupportedProtocol)


def never_sent(error: Exception) -> bool:
    """Whether a transport error proves the request never reached the server."""
    return isinstance(error, _NOT_SENT)


@dataclass(frozen=True)
class RetryPolicy:
    """How often and how long to retry; see the module docstring for what is retried."""

    max_attempts: int = 6
    base: float = 0.2
    max_delay: float = 8.0
    max_retry_after: float = 60.0

    def delay(self, attempt: int, response: httpx.Response | None = None) -> float:
        """Seconds to wait before attempt ``attempt + 1``."""
        if response is not None:
            hinted = parse_retry_after(response.headers.get("retry-after"))
            if hinted is not None:
                return min(hinted, self.max_retry_after)
        backoff = min(self.base * 2.0 ** min(attempt - 1, 1000), self.max_delay)  # no overflow
        return min(backoff * random.uniform(0.5, 1.5), self.max_delay)

    def retry_response(self, response: httpx.Response, *, creates: bool) -> bool:
        """Whether an HTTP answer is worth another attempt."""
        code = response.status_code
        if creates:
            return code == 429 or (code == 503 and "x-fal-request-id" not in response.headers)
        if code == 504 and "x-fal-request-timeout-type" in response.headers:
            return False
        return code in _IDEMPOTENT_STATUSES

    def retry_error(self, error: Exception, *, creates: bool) -> bool:
        """Whether a transport error is worth another attempt."""
        if creates:
            return never_sent(error)
        return isinstance(error, httpx.TransportError)


class Deadline:
    """A point in monotonic time; ``None`` seconds means the caller's own default applies."""

    def __init__(self, seconds: float | None) -> None:
        self.seconds = seconds
        self.at = None if seconds is None else time.monotonic() + max(0.0, seconds)

    def remaining(self) -> float:
        if self.at is None:
            return float("inf")
        return max(0.0, self.at - time.monotonic())

    @property
    def expired(self) -> bool:
        return self.remaining() <= 0.0

    def clamp(self, timeout: httpx.Timeout) -> httpx.Timeout:
        """Per-call timeouts no longer than the time left (at least 10 ms so httpx can fail)."""
        left = self.remaining()
        if left == float("inf"):
            return timeout

        def cut(value: float | None) -> float:
            return max(0.01, left if value is None else min(value, left))

        return httpx.Timeout(
            connect=cut(timeout.connect),
            read=cut(timeout.read),
            write=cut(timeout.write),
            pool=cut(timeout.pool),
        )
