"""Per-token rate, budget, upload caps and usage accounting for the workshop proxy.

Rate limits count costly calls (submissions, runs, streams, realtime tokens, uploads) in a sliding
one-minute window, and a generous cap counts every call (status, result and cancel included), so
no token can hammer the upstream. The budget counts billable calls (submissions, runs, streams and
realtime token mints) for the life of the proxy. A billable call reserves a unit before it is
forwarded (so thirty concurrent clicks cannot overshoot); the unit is given back only when nothing
reached the upstream or the upstream answered with an error; a call that was sent and then lost its
answer stays spent, because fal may have accepted it. Storage initiates and multipart parts have
their own per-token caps, so uploads cannot be used to sidestep the rate. Usage holds counts only:
never bodies, arguments or keys.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from falwidgets.proxy._rules import BILLABLE_KINDS, COSTLY_KINDS, Refusal, Target

BUDGET_RETRY_AFTER = 24 * 3600  # a spent budget does not come back before the proxy restarts


def parse_rate(text: str) -> int:
    """``"30/min"`` or ``"30"`` -> 30 calls a minute (also ``/s`` and ``/h``, rounded up)."""
    match = re.fullmatch(r"\s*(\d+)\s*(?:/\s*(s|sec|min|m|h|hour))?\s*", text or "")
    if not match:
        raise ValueError(f"rate must look like 30/min, got {text!r}")
    count, unit = int(match.group(1)), match.group(2) or "min"
    per_minute = {"s": 60, "sec": 60, "min": 1, "m": 1}.get(unit)
    value = count * per_minute if per_minute else math.ceil(count / 60)
    if value < 1:
        raise ValueError(f"rate must allow at least one call a minute, got {text!r}")
    return value


@dataclass
class Usage:
    """What one token did: counts by kind, refusals by status, bytes, last use."""

    label: str
    calls: Counter[str] = field(default_factory=Counter)
    refused: Counter[int] = field(default_factory=Counter)  # by the proxy, by status
    upstream_errors: Counter[int] = field(default_factory=Counter)
    submissions: int = 0  # submits, runs and streams that reached fal (budget units)
    realtime_tokens: int = 0  # realtime token mints that reached fal (budget units too)
    realtime_units: int = 0  # blocks of realtime inputs relayed (see proxy/_realtime.py)
    uploads: int = 0  # storage initiates and CDN upload starts
    parts: int = 0  # multipart part PUTs
    bytes_in: int = 0
    last_used: float | None = None

    @property
    def spent(self) -> int:
        return self.submissions + self.realtime_tokens + self.realtime_units

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "calls": dict(self.calls),
            "refused": {str(k): v for k, v in self.refused.items()},
            "upstream_errors": {str(k): v for k, v in self.upstream_errors.items()},
            "submissions": self.submissions,
            "realtime_tokens": self.realtime_tokens,
            "realtime_units": self.realtime_units,
            "uploads": self.uploads,
            "parts": self.parts,
            "bytes_in": self.bytes_in,
            "last_used": self.last_used,
        }


def upload_unit(target: Target) -> str | None:
    """``"upload"`` for a call that starts an upload, ``"part"`` for a multipart part, else None."""
    if target.kind == "storage" and target.path.startswith("/storage/upload/initiate"):
        return "upload"
    if target.kind == "cdn":
        if target.path in ("/files/upload", "/files/upload/multipart"):
            return "upload"
        if target.path.rsplit("/", 1)[-1].isdigit():
            return "part"
    return None


def _over(what: str, limit: int, error_type: str, wait: int) -> Refusal:
    return Refusal(429, what.format(limit=limit, wait=wait), error_type, retry_after=wait)


class _Window:
    """Timestamps of the last minute's calls."""

    def __init__(self) -> None:
        self.times: deque[float] = deque()

    def wait(self, now: float, limit: int) -> int:
        """0 when another call fits in the window, else seconds until one does."""
        while self.times and self.times[0] <= now - 60.0:
            self.times.popleft()
        if len(self.times) < limit:
            return 0
        return max(1, math.ceil(self.times[0] + 60.0 - now))


class Limits:
    """Thread-safe per-token rate windows, budget, upload caps and usage."""

    def __init__(
        self,
        labels: dict[str, str],
        *,
        rate_per_min: int | None = None,
        budget: int | None = None,
        calls_per_min: int | None = None,
        max_uploads: int | None = None,
        max_parts: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate_per_min = rate_per_min
        self.budget = budget
        self.calls_per_min = calls_per_min
        self.max_uploads = max_uploads
        self.max_parts = max_parts
        self._clock = clock
        self._lock = threading.Lock()
        self._costly: dict[str, _Window] = {t: _Window() for t in labels}
        self._all: dict[str, _Window] = {t: _Window() for t in labels}
        self._reserved: Counter[str] = Counter()
        self.usage: dict[str, Usage] = {t: Usage(label) for t, label in labels.items()}

    def admit(self, token: str, target: Target) -> None:
        """Count a call against every limit (and reserve budget if billable), or raise 429.

        Nothing is counted unless every check passes, so a refused call costs nothing.
        """
        costly = target.kind in COSTLY_KINDS
        billable = target.kind in BILLABLE_KINDS
        unit = upload_unit(target)
        with self._lock:
            now = self._clock()
            usage = self.usage[token]
            if self.calls_per_min is not None:
                wait = self._all[token].wait(now, self.calls_per_min)
                if wait:
                    raise _over(
                        "call limit of {limit} calls a minute (status and results included) "
                        "reached; retry in {wait} s",
                        self.calls_per_min,
                        "rate_limited",
                        wait,
                    )
            if costly and self.rate_per_min is not None:
                wait = self._costly[token].wait(now, self.rate_per_min)
                if wait:
                    raise _over(
                        "rate limit of {limit} calls a minute reached; retry in {wait} s",
                        self.rate_per_min,
                        "rate_limited",
                        wait,
                    )
            if (
                unit == "upload"
                and self.max_uploads is not None
                and (usage.uploads >= self.max_uploads)
            ):
                raise _over(
                    "upload limit of {limit} uploads for this token is used up; "
                    "ask the workshop host for more",
                    self.max_uploads,
                    "upload_limit",
                    BUDGET_RETRY_AFTER,
                )
            if unit == "part" and self.max_parts is not None and usage.parts >= self.max_parts:
                raise _over(
                    "upload limit of {limit} multipart parts for this token is used up",
                    self.max_parts,
                    "upload_limit",
                    BUDGET_RETRY_AFTER,
                )
            if (
                billable
                and self.budget is not None
                and (usage.spent + self._reserved[token] >= self.budget)
            ):
                raise _over(
                    "budget of {limit} submissions for this token is used up; "
                    "ask the workshop host for more",
                    self.budget,
                    "budget_exhausted",
                    BUDGET_RETRY_AFTER,
                )
            # every check passed: count it
            if billable:
                self._reserved[token] += 1
            if unit == "upload":
                usage.uploads += 1
            elif unit == "part":
                usage.parts += 1
            if self.calls_per_min is not None:
                self._all[token].times.append(now)
            if costly and self.rate_per_min is not None:
                self._costly[token].times.append(now)

    def settle(self, token: str, kind: str, *, spent: bool) -> None:
        """Turn a billable reservation into a spent unit, or give it back (nothing was used)."""
        if kind not in BILLABLE_KINDS:
            return
        with self._lock:
            if self._reserved[token] > 0:
                self._reserved[token] -= 1
            if spent:
                if kind == "token":
                    self.usage[token].realtime_tokens += 1
                else:
                    self.usage[token].submissions += 1

    def remaining(self, token: str) -> int:
        """Budget units ``token`` has left (in-flight reservations count as used)."""
        if self.budget is None:
            return 1 << 62
        with self._lock:
            return self.budget - self.usage[token].spent - self._reserved[token]

    def charge(self, token: str, kind: str = "realtime") -> bool:
        """Spend one unit now if the budget allows (realtime frame blocks); False when spent."""
        with self._lock:
            usage = self.usage[token]
            if self.budget is not None and usage.spent + self._reserved[token] >= self.budget:
                return False
            usage.realtime_units += 1
            return True

    def reserved(self, token: str) -> int:
        """Billable calls of ``token`` in flight (reserved, not yet settled)."""
        with self._lock:
            return self._reserved[token]

    def record(self, token: str, kind: str, status: int, bytes_in: int, *, refused: bool) -> None:
        """Count one finished call; ``refused`` when the proxy answered it without forwarding."""
        with self._lock:
            usage = self.usage[token]
            usage.calls[kind] += 1
            usage.bytes_in += bytes_in
            usage.last_used = time.time()
            if refused:
                usage.refused[status] += 1
            elif status >= 400:
                usage.upstream_errors[status] += 1

    def snapshot(self) -> dict[str, dict[str, object]]:
        """Usage by token label (tokens themselves are never reported)."""
        with self._lock:
            return {u.label: u.as_dict() for u in self.usage.values()}
