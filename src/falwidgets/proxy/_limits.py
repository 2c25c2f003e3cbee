"""Per-token rate, budget and usage accounting for the workshop proxy.

Rate limits count costly calls (submissions, runs, streams, uploads) in a sliding one-minute window;
the budget counts submissions accepted upstream for the life of the proxy. A submission reserves a
unit of budget before it is forwarded (so thirty concurrent clicks cannot overshoot) and gets it
back if the upstream refuses it. Usage holds counts only: never bodies, arguments or keys.
"""

from __future__ import annotations

import math
import re
import threading
import time
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field

from falwidgets.proxy._rules import Refusal

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
    submissions: int = 0
    bytes_in: int = 0
    last_used: float | None = None

    def as_dict(self) -> dict[str, object]:
        return {
            "label": self.label,
            "calls": dict(self.calls),
            "refused": {str(k): v for k, v in self.refused.items()},
            "upstream_errors": {str(k): v for k, v in self.upstream_errors.items()},
            "submissions": self.submissions,
            "bytes_in": self.bytes_in,
            "last_used": self.last_used,
        }


class Limits:
    """Thread-safe per-token rate window, budget and usage."""

    def __init__(
        self,
        labels: dict[str, str],
        *,
        rate_per_min: int | None = None,
        budget: int | None = None,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.rate_per_min = rate_per_min
        self.budget = budget
        self._clock = clock
        self._lock = threading.Lock()
        self._windows: dict[str, deque[float]] = {t: deque() for t in labels}
        self._reserved: Counter[str] = Counter()
        self.usage: dict[str, Usage] = {t: Usage(label) for t, label in labels.items()}

    def admit(self, token: str, *, costly: bool, billable: bool) -> None:
        """Count a call against the rate and (if billable) reserve budget, or raise 429."""
        with self._lock:
            now = self._clock()
            window = self._windows[token]
            if costly and self.rate_per_min is not None:
                while window and window[0] <= now - 60.0:
                    window.popleft()
                if len(window) >= self.rate_per_min:
                    wait = max(1, math.ceil(window[0] + 60.0 - now))
                    raise Refusal(
                        429,
                        f"rate limit of {self.rate_per_min} calls a minute reached; "
                        f"retry in {wait} s",
                        "rate_limited",
                        retry_after=wait,
                    )
            if billable and self.budget is not None:
                spent = self.usage[token].submissions + self._reserved[token]
                if spent >= self.budget:
                    raise Refusal(
                        429,
                        f"budget of {self.budget} submissions for this token is used up; "
                        "ask the workshop host for more",
                        "budget_exhausted",
                        retry_after=BUDGET_RETRY_AFTER,
                    )
                self._reserved[token] += 1
            if costly and self.rate_per_min is not None:
                window.append(now)

    def settle(self, token: str, *, billable: bool, accepted: bool) -> None:
        """Turn a reservation into a spent submission (accepted upstream) or give it back."""
        if not billable:
            return
        with self._lock:
            if self.budget is not None and self._reserved[token] > 0:
                self._reserved[token] -= 1
            if accepted:
                self.usage[token].submissions += 1

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
