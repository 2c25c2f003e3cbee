"""The status watcher behind ``Handle.events()``, ``result()`` and ``subscribe()`` (sans-IO).

It prefers fal's SSE status stream (one request for the whole wait) and falls back to polling,
for good, when the stream is unavailable or cut; polls carry the full log, so no line is lost or
repeated (``LogTracker``). Every status it accepts is emitted once it changed or brought new logs.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import TYPE_CHECKING

import httpx
from httpx_sse import ServerSentEvent

from falwidgets.client._errors import DeadlineExceeded, ServerError
from falwidgets.client._ops import Call, Close, Emit, Op, Open, ReadEvent, Sleep
from falwidgets.client._retry import Deadline
from falwidgets.client._status import (
    Completed,
    LogTracker,
    Queued,
    Status,
    parse_status,
    with_logs,
)

if TYPE_CHECKING:
    from falwidgets.client._engine import Engine, RequestRef

__all__ = ["Watcher"]

_DRAIN = 0.05  # seconds to wait for a status stream's end after COMPLETED


class Watcher:
    """Follows one request's status: SSE first, polling after the stream fails; no lost logs."""

    def __init__(
        self,
        engine: Engine,
        ref: RequestRef,
        *,
        logs: bool,
        deadline: Deadline,
        sink: Callable[[Status], None] | None = None,
    ) -> None:
        self.engine = engine
        self.sink = sink
        self.ref = ref
        self.logs = logs
        self.deadline = deadline
        self.tracker = LogTracker()
        self.last: Status | None = None
        self.use_sse = engine.use_sse
        self.interval = engine.poll_interval
        self.transitions = 0

    @property
    def done(self) -> bool:
        return isinstance(self.last, Completed)

    @property
    def completed(self) -> Completed | None:
        return self.last if isinstance(self.last, Completed) else None

    def check_deadline(self) -> None:
        if self.deadline.expired:
            state = type(self.last).__name__ if self.last else "unknown"
            raise DeadlineExceeded(
                f"request {self.ref.request_id} to {self.ref.endpoint} did not complete within "
                f"{self.deadline.seconds:g}s (last status: {state}); it may still run: resume it "
                f"with client.resume({self.ref.request_id!r})",
                request_id=self.ref.request_id,
            )

    def sse_call(self) -> Call:
        self.tracker.new_source()
        call = self.engine.call(
            "GET",
            self.ref.status_url.rstrip("/") + "/stream",
            params={"logs": "1" if self.logs else "0"},
            headers={"accept": "text/event-stream"},
        )
        t = self.engine.timeout
        call.timeout = self.deadline.clamp(
            httpx.Timeout(
                connect=t.connect, read=self.engine.sse_read_timeout, write=t.write, pool=t.pool
            )
        )
        return call

    def on_sse_event(self, data: str) -> Status | None:
        """One ``data:`` payload of the status stream; the status to report, if anything changed."""
        try:
            payload = json.loads(data)
        except ValueError as error:
            raise ServerError(
                f"status stream of request {self.ref.request_id}: bad event {data[:200]!r}",
                request_id=self.ref.request_id,
            ) from error
        return self._accept(parse_status(payload, request_id=self.ref.request_id), True)

    def sse_failed(self) -> None:
        """The stream is unavailable or was cut: poll from now on (polls carry the full log)."""
        self.use_sse = False

    def run(self) -> Op[Completed | None]:
        """Emit each status update until completion; return the final ``Completed``."""
        while not self.done:
            self.check_deadline()
            if self.use_sse:
                yield from self._sse()
                continue
            status = yield from self.poll()
            if status is not None:
                yield from self._emit(status)
            if not self.done:
                delay = self.next_delay()
                if delay > 0:
                    yield Sleep(delay)
        return self.completed

    def _emit(self, status: Status) -> Op[None]:
        if self.sink is not None:
            self.sink(status)
        yield Emit(status)

    def _sse(self) -> Op[None]:
        """One status-stream connection; the deadline is checked on every event, and the driver's
        hard stop (``Open.until``) ends a read that only sees pings."""
        response = yield Open(self.sse_call(), until=self.deadline.at)
        if not isinstance(response, httpx.Response):
            self.sse_failed()
            return
        if response.status_code == 200:
            while not self.done:
                self.check_deadline()
                event = yield ReadEvent(response)
                if not isinstance(event, ServerSentEvent):  # closed before COMPLETED, or an
                    break  # error: a cut
                if not event.data:
                    continue
                try:
                    status = self.on_sse_event(event.data)
                except ServerError:
                    break
                if status is not None:
                    yield from self._emit(status)
            if self.done:  # fal ends the stream after COMPLETED: read that end so the
                for _ in range(2):  # connection goes back to the pool (no reconnect per job)
                    if (yield ReadEvent(response, within=_DRAIN)) is None:
                        break
        yield Close(response)
        if not self.done:
            self.sse_failed()

    def poll(self) -> Op[Status | None]:
        status = yield from self.engine.status(self.ref, logs=self.logs, deadline=self.deadline)
        return self._accept(status, False)

    def next_delay(self) -> float:
        delay = self.interval
        self.interval = min(self.interval * 1.5, self.engine.max_poll_interval)
        return max(0.0, min(delay, self.deadline.remaining()))

    def _accept(self, status: Status, incremental: bool) -> Status | None:
        logs = getattr(status, "logs", [])
        fresh = self.tracker.from_increment(logs) if incremental else self.tracker.from_full(logs)
        previous = self.last
        changed = type(status) is not type(previous) or (
            isinstance(status, Queued)
            and isinstance(previous, Queued)
            and status.position != previous.position
        )
        self.last = status
        if changed:
            self.transitions += 1
            self.interval = self.engine.poll_interval
        if changed or fresh or isinstance(status, Completed):
            return with_logs(status, fresh)
        return None
