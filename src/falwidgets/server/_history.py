"""The server-side request history behind ``GET /v1/models/requests/by-endpoint``.

fal keeps every request with its input and output for its platform API (fal-platform.md §2.5);
the local server does the same so history lookups, reconciliation and ``history(remote=True)``
work offline. A request is recorded **in the same step that enqueues it** (``JobQueue.submit``
under the queue lock), so a listing taken after a submit's connection ended shows every request
the server accepted, queued and running ones included. That completeness is what lets a client
prove a lost submit absent; the router announces it with a response header (see ``_platform``).

Records hold a reference to the live :class:`Job` (its times, status and output as they change)
and a copy of the input taken at submit (the job frees its own copy when it finishes). The store
is bounded (``MAX_RECORDS``, oldest dropped first) and kept for ``RETENTION_SECONDS`` like fal's
90-day lookup by id; it lives in memory, so a restarted server starts with an empty history.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

__all__ = ["MAX_RECORDS", "HistoryRecord", "RequestHistory"]

MAX_RECORDS = 20_000
RETENTION_SECONDS = 90 * 24 * 3600.0
_DATA_URI_CAP = 64 * 1024


def _small(value: Any) -> Any:
    """``value`` with ``data:`` URIs over 64 KiB replaced by a marker (the history stays small)."""
    if isinstance(value, str):
        if value.startswith("data:") and len(value) > _DATA_URI_CAP:
            return f"<{value[: value.find(',') if ',' in value else 40]} omitted>"
        return value
    if isinstance(value, dict):
        return {k: _small(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_small(v) for v in value]
    return value


@dataclass
class HistoryRecord:
    """One request as the history lists it; ``job`` is read live (under the queue's lock)."""

    job: Any  # falwidgets.server._jobs.Job (not imported: _jobs imports this module)
    json_input: Any

    @property
    def request_id(self) -> str:
        return str(self.job.request_id)

    @property
    def endpoint_id(self) -> str:
        return str(self.job.endpoint_id)

    @property
    def sent_at(self) -> float:
        return float(self.job.created)

    @property
    def ended_at(self) -> float | None:
        return self.job.finished if self.job.state == "COMPLETED" else None

    @property
    def status_code(self) -> int | None:
        """HTTP status of the outcome (200, or the error's); ``None`` while queued or running."""
        if self.job.state != "COMPLETED":
            return None
        return int(self.job.error_status) if self.job.error else 200

    @property
    def outcome(self) -> str | None:
        """fal's ``status`` filter value: ``success``, ``user_error`` (4xx) or ``error``."""
        code = self.status_code
        if code is None:
            return None
        if 200 <= code < 300:
            return "success"
        return "user_error" if 400 <= code < 500 else "error"

    @property
    def duration(self) -> float | None:
        if self.ended_at is None or self.job.started is None:
            return None
        return max(0.0, float(self.ended_at) - float(self.job.started))

    def json_output(self) -> Any:
        if self.job.state != "COMPLETED":
            return None
        return self.job.error_body if self.job.error else self.job.output


class RequestHistory:
    """Every request the server accepted, newest last; thread-safe, bounded."""

    def __init__(self, max_records: int = MAX_RECORDS) -> None:
        self._records: deque[HistoryRecord] = deque(maxlen=max_records)
        self._by_id: dict[str, HistoryRecord] = {}
        self._lock = threading.Lock()

    def record(self, job: Any) -> None:
        """Called by the queue as it enqueues ``job`` (before the submit is answered)."""
        entry = HistoryRecord(job, _small(job.arguments))
        with self._lock:
            if len(self._records) == self._records.maxlen:
                dropped = self._records[0]
                self._by_id.pop(dropped.request_id, None)
            self._records.append(entry)
            self._by_id[entry.request_id] = entry
            self._prune_locked()

    def _prune_locked(self) -> None:
        cutoff = time.time() - RETENTION_SECONDS
        while self._records and self._records[0].sent_at < cutoff:
            self._by_id.pop(self._records.popleft().request_id, None)

    def get(self, request_id: str) -> HistoryRecord | None:
        with self._lock:
            return self._by_id.get(request_id)

    def __iter__(self) -> Iterator[HistoryRecord]:
        with self._lock:
            return iter(list(self._records))

    def __len__(self) -> int:
        with self._lock:
            return len(self._records)
