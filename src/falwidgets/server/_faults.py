"""Fault injection from a spec such as
`"http_5xx=0.05,http_429=0.05,drop=0.02,sse_cut=0.1,slow=0.05,requeue=0.05,seed=1"`.

``accepted_drop`` applies to queue submits only: the submit is handled (validated and enqueued),
then the connection is dropped before the answer, so the caller cannot know its request exists
(the lost answer that request-history reconciliation resolves).

Every rate is the probability that one call (or, for `requeue`, one job) gets that fault. Faults are
decided *before* a call is handled, so a refused submit is never enqueued. A seeded generator makes
a run reproducible.
"""

from __future__ import annotations

import random
import threading
from dataclasses import dataclass, field, fields

KINDS = ("http_5xx", "http_429", "drop", "sse_cut", "slow", "requeue", "accepted_drop")


@dataclass
class Faults:
    http_5xx: float = 0.0
    http_429: float = 0.0
    drop: float = 0.0
    sse_cut: float = 0.0
    slow: float = 0.0
    requeue: float = 0.0
    accepted_drop: float = 0.0
    seed: int | None = None
    slow_seconds: float = 0.5
    _rng: random.Random = field(init=False, repr=False)
    _lock: threading.Lock = field(init=False, repr=False, default_factory=threading.Lock)

    def __post_init__(self) -> None:
        for kind in KINDS:
            rate = getattr(self, kind)
            if not 0.0 <= rate <= 1.0:
                raise ValueError(f"fault rate {kind}={rate} must lie in [0, 1]")
        self._rng = random.Random(self.seed)

    @classmethod
    def parse(cls, spec: str | dict[str, float] | Faults | None) -> Faults:
        """Parse the `--faults` text (or a dict); unknown names are an error, not ignored."""
        if isinstance(spec, Faults):
            return spec
        if spec is None or spec == "":
            return cls()
        items: dict[str, float | int | None]
        if isinstance(spec, dict):
            items = dict(spec)
        else:
            items = {}
            for chunk in spec.split(","):
                if not chunk.strip():
                    continue
                name, sep, value = chunk.partition("=")
                if not sep:
                    raise ValueError(f"fault {chunk.strip()!r} needs a value: name=rate")
                try:
                    items[name.strip()] = float(value)
                except ValueError:
                    raise ValueError(f"fault {name.strip()!r}: {value!r} is not a number") from None
        known = {f.name for f in fields(cls) if not f.name.startswith("_")}
        unknown = sorted(set(items) - known)
        if unknown:
            raise ValueError(f"unknown fault kind(s) {unknown}; known: {', '.join(sorted(known))}")
        if items.get("seed") is not None:
            items["seed"] = int(items["seed"])  # type: ignore[arg-type]
        return cls(**items)  # type: ignore[arg-type]

    @property
    def active(self) -> bool:
        return any(getattr(self, kind) > 0 for kind in KINDS)

    def roll(self, kind: str) -> bool:
        rate = getattr(self, kind)
        if rate <= 0:
            return False
        with self._lock:
            return self._rng.random() < rate

    def pick_http(self, *, streaming: bool, submit: bool = False) -> str | None:
        """The fault for one HTTP call, if any (at most one per call)."""
        kinds = ["http_5xx", "http_429", "drop", "slow"] + (["sse_cut"] if streaming else [])
        if submit:
            kinds.append("accepted_drop")
        for kind in kinds:
            if self.roll(kind):
                return kind
        return None

    def __str__(self) -> str:
        parts = [f"{k}={getattr(self, k)}" for k in KINDS if getattr(self, k) > 0]
        if self.seed is not None:
            parts.append(f"seed={self.seed}")
        return ",".join(parts) or "none"
