"""Prometheus text metrics: counters by endpoint, faults by kind, queue depth, latency histogram."""

from __future__ import annotations

import threading
from collections import defaultdict
from collections.abc import Callable

BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

_HELP = {
    "falwidgets_submissions_total": "Requests accepted into the queue, by endpoint.",
    "falwidgets_runs_total": "Synchronous run/stream calls, by endpoint.",
    "falwidgets_completions_total": "Requests that completed successfully, by endpoint.",
    "falwidgets_failures_total": "Requests that completed with an error, by endpoint.",
    "falwidgets_cancellations_total": "Requests cancelled, by endpoint.",
    "falwidgets_rejections_total": "Submissions refused (validation, queue full), by endpoint.",
    "falwidgets_faults_total": "Faults injected, by kind.",
    "falwidgets_webhook_deliveries_total": "Webhook delivery attempts, by outcome.",
}


def _escape(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


class Metrics:
    """Thread-safe counters and one histogram, rendered on demand."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._counters: dict[str, dict[tuple[tuple[str, str], ...], float]] = defaultdict(dict)
        self._hist_counts = [0] * len(BUCKETS)
        self._hist_sum = 0.0
        self._hist_n = 0

    def inc(self, name: str, amount: float = 1.0, **labels: str) -> None:
        key = tuple(sorted(labels.items()))
        with self._lock:
            series = self._counters[name]
            series[key] = series.get(key, 0.0) + amount

    def value(self, name: str, **labels: str) -> float:
        with self._lock:
            return self._counters.get(name, {}).get(tuple(sorted(labels.items())), 0.0)

    def observe_latency(self, seconds: float) -> None:
        with self._lock:
            for i, bound in enumerate(BUCKETS):
                if seconds <= bound:
                    self._hist_counts[i] += 1
            self._hist_sum += seconds
            self._hist_n += 1

    def render(self, gauges: dict[str, Callable[[], dict[str, float]]]) -> str:
        """Prometheus exposition text; `gauges` maps a name to a callable giving label->value."""
        lines: list[str] = []
        with self._lock:
            for name in sorted(set(_HELP) | set(self._counters)):
                lines.append(f"# HELP {name} {_HELP.get(name, name)}")
                lines.append(f"# TYPE {name} counter")
                for key, value in sorted(self._counters.get(name, {}).items()):
                    labels = ",".join(f'{k}="{_escape(v)}"' for k, v in key)
                    lines.append(f"{name}{{{labels}}} {value:g}" if labels else f"{name} {value:g}")
            name = "falwidgets_job_latency_seconds"
            lines.append(f"# HELP {name} Time from submission to completion.")
            lines.append(f"# TYPE {name} histogram")
            for bound, count in zip(BUCKETS, self._hist_counts, strict=True):
                lines.append(f'{name}_bucket{{le="{bound:g}"}} {count}')
            lines.append(f'{name}_bucket{{le="+Inf"}} {self._hist_n}')
            lines.append(f"{name}_sum {self._hist_sum:.6f}")
            lines.append(f"{name}_count {self._hist_n}")
        for gname, get in gauges.items():
            lines.append(f"# TYPE {gname} gauge")
            for label_value, value in sorted(get().items()):
                if label_value:
                    lines.append(f'{gname}{{endpoint="{_escape(label_value)}"}} {value:g}')
                else:
                    lines.append(f"{gname} {value:g}")
        return "\n".join(lines) + "\n"
