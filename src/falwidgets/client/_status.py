"""Queue status objects and the log de-duplication that lets SSE and polling be mixed.

Polled status returns the *full* log list; SSE events carry only *new* lines; a stream may be cut
and resumed, or replaced by polling. :class:`LogTracker` keeps a multiset of the lines already
handed out and, per source (one SSE connection, or one poll), emits exactly the lines not yet seen,
so no line is lost or repeated whatever mix of transports delivered them.
"""

from __future__ import annotations

import json
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from falwidgets.client._errors import ServerError, redact

__all__ = ["Completed", "InProgress", "LogTracker", "Queued", "Status", "parse_status"]


@dataclass(frozen=True)
class Status:
    """Base of the three queue states."""


@dataclass(frozen=True)
class Queued(Status):
    """Waiting in the queue; ``position`` is 0-based (0 = next)."""

    position: int = 0


@dataclass(frozen=True)
class InProgress(Status):
    """Running; ``logs`` are the runner's log entries (dicts with at least ``message``)."""

    logs: list[dict[str, Any]] = field(default_factory=list)


@dataclass(frozen=True)
class Completed(Status):
    """Finished; ``error``/``error_type`` are set when the request failed."""

    logs: list[dict[str, Any]] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    error: str | None = None
    error_type: str | None = None

    @property
    def ok(self) -> bool:
        return self.error is None


def _logs(value: Any) -> list[dict[str, Any]]:
    if not value or not isinstance(value, list):
        return []
    # log lines reach widgets and terminals: hide a key a runner printed (no-op without keys)
    return [
        redact(entry) if isinstance(entry, dict) else {"message": redact(str(entry))}
        for entry in value
        if entry is not None
    ]


def parse_status(data: Any, *, request_id: str | None = None) -> Status:
    """A status object -> ``Queued``/``InProgress``/``Completed``, tolerant of missing keys."""
    if not isinstance(data, dict) or "status" not in data:
        raise ServerError(
            f"unexpected status payload for request {request_id}: {str(data)[:200]!r}",
            request_id=request_id,
        )
    state = data["status"]
    if state == "IN_QUEUE":
        position = data.get("queue_position")
        return Queued(int(position) if isinstance(position, (int, float)) else 0)
    if state == "IN_PROGRESS":
        return InProgress(_logs(data.get("logs")))
    if state == "COMPLETED":
        metrics = data.get("metrics")
        error = data.get("error")
        return Completed(
            _logs(data.get("logs")),
            metrics if isinstance(metrics, dict) else {},
            None if error in (None, "") else redact(str(error)),
            data.get("error_type") or None,
        )
    raise ServerError(f"unknown status {state!r} for request {request_id}", request_id=request_id)


def _key(entry: dict[str, Any]) -> str:
    return json.dumps(
        [entry.get("timestamp"), entry.get("message"), entry.get("level"), entry.get("source")],
        default=str,
    )


class LogTracker:
    """Hands out each log line once across polls, SSE events and reconnections."""

    def __init__(self) -> None:
        self._emitted: Counter[str] = Counter()
        self._source: Counter[str] = Counter()
        self.lines: list[dict[str, Any]] = []

    def new_source(self) -> None:
        """Start a new cumulative source (an SSE connection); polls call :meth:`from_full`."""
        self._source = Counter()

    def _take(self, entries: list[dict[str, Any]], seen: Counter[str]) -> list[dict[str, Any]]:
        fresh = []
        for entry in entries:
            key = _key(entry)
            seen[key] += 1
            if seen[key] > self._emitted[key]:
                self._emitted[key] += 1
                fresh.append(entry)
        self.lines.extend(fresh)
        return fresh

    def from_increment(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Lines of one SSE event (only new lines on this connection, per the protocol)."""
        return self._take(entries, self._source)

    def from_full(self, entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """A polled status: the full list so far; return the lines not handed out yet."""
        return self._take(entries, Counter())


def with_logs(status: Status, logs: list[dict[str, Any]]) -> Status:
    """The same status carrying only ``logs`` (the new lines)."""
    if isinstance(status, InProgress):
        return InProgress(logs)
    if isinstance(status, Completed):
        return Completed(logs, status.metrics, status.error, status.error_type)
    return status
