"""One request through the queue, as plain data plus the coroutine that drives it.

The runner, sweeps and history all drive requests the same way: submit, follow the status events
(queue position, logs), fetch the result, all under one deadline. Widgets only observe a ``Run``
through the ``on_update`` callback, so this module stays free of ipywidgets.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import time
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from typing import Any

from falwidgets.client import (
    AsyncClient,
    AsyncHandle,
    Cancelled,
    Completed,
    DeadlineExceeded,
    InProgress,
    Queued,
    Status,
)

DEFAULT_TIMEOUT = 900.0  # seconds for a whole run: queue wait + inference + result

FINAL_STATES = frozenset({"done", "failed", "cancelled"})


@dataclass(eq=False)
class Run:
    """A request's life: ``state`` goes submitting -> queued -> running -> done/failed/cancelled."""

    endpoint: str
    arguments: dict[str, Any]
    state: str = "submitting"
    request_id: str | None = None
    position: int | None = None
    logs: list[Any] = field(default_factory=list)
    metrics: dict[str, Any] = field(default_factory=dict)
    output: Any = None
    error: BaseException | None = None
    submitted_at: float = field(default_factory=time.monotonic)
    started_at: float | None = None
    finished_at: float | None = None
    handle: AsyncHandle | None = field(default=None, repr=False)
    task: concurrent.futures.Future[Any] | None = field(default=None, repr=False)
    cancel_requested: bool = False
    # the submit POST while it is in flight: a cancel arriving then waits for it (see _guard)
    submitting: asyncio.Future[Any] | None = field(default=None, repr=False)

    @property
    def done(self) -> bool:
        return self.state in FINAL_STATES

    @property
    def elapsed(self) -> float:
        """Seconds since submission (frozen once finished)."""
        end = self.finished_at if self.finished_at is not None else time.monotonic()
        return end - self.submitted_at

    @property
    def running_for(self) -> float:
        """Seconds since the request left the queue (0 while queued)."""
        if self.started_at is None:
            return 0.0
        end = self.finished_at if self.finished_at is not None else time.monotonic()
        return end - self.started_at

    @property
    def inference_time(self) -> float | None:
        value = self.metrics.get("inference_time")
        return float(value) if isinstance(value, (int, float)) else None

    def summary(self) -> str:
        """The status line's text for this run."""
        if self.state == "submitting":
            return "Submitting…"
        if self.state == "queued":
            pos = "" if self.position is None else f" · position {self.position}"
            return f"Queued{pos}"
        if self.state == "running":
            return f"Running · {self.running_for:.1f} s"
        if self.state == "done":
            inf = self.inference_time
            inf_text = f"inference {inf:.2f} s · " if inf is not None else ""
            return f"Done · {inf_text}total {self.elapsed:.1f} s"
        if self.state == "cancelled":
            return f"Cancelled after {self.elapsed:.1f} s"
        return f"Failed after {self.elapsed:.1f} s"


def apply_status(run: Run, event: Status) -> list[dict[str, Any]]:
    """Fold one client status event into ``run``; returns the log entries it carried."""
    if isinstance(event, Queued):
        run.state, run.position = "queued", event.position
        return []
    if run.started_at is None:
        run.started_at = time.monotonic()
    if isinstance(event, InProgress):
        run.state = "running"
        return list(event.logs)
    if isinstance(event, Completed):
        run.metrics = dict(event.metrics)
        return list(event.logs)
    raise TypeError(f"not a queue status: {event!r}")


async def drive(
    run: Run,
    client: AsyncClient,
    on_update: Callable[[Run, list[Any]], None] | None = None,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
    handle: AsyncHandle | None = None,
) -> Run:
    """Submit (unless ``handle`` is given), follow events, fetch the result; never raises.

    The outcome is in ``run.state``/``run.output``/``run.error``; ``on_update(run, new_logs)`` is
    called after every change so widgets can follow without polling.
    """

    def notify(new_logs: list[Any] | None = None) -> None:
        if on_update is not None:
            on_update(run, new_logs or [])

    async def follow() -> None:
        if handle is None:
            # shielded: a cancel must not abandon a POST the server may already have accepted
            # (the job would run unseen); _guard lets it finish and then cancels it there
            run.submitting = asyncio.ensure_future(client.submit(run.endpoint, run.arguments))
            followed = await asyncio.shield(run.submitting)
            run.submitting = None
        else:
            followed = handle
        run.handle, run.request_id = followed, followed.request_id
        if run.state == "submitting":
            run.state = "queued"
        notify()
        async for event in followed.events(logs=True):
            new_logs = apply_status(run, event)
            run.logs.extend(new_logs)
            notify(new_logs)
            if isinstance(event, Completed):
                break
        run.output = await followed.result()

    return await _guard(run, follow(), timeout, notify)


async def drive_stream(
    run: Run,
    client: AsyncClient,
    on_partial: Callable[[Run, Any], None] | None = None,
    on_update: Callable[[Run, list[Any]], None] | None = None,
    *,
    timeout: float | None = DEFAULT_TIMEOUT,
) -> Run:
    """A streaming endpoint (no queue): each partial result goes to ``on_partial``; the last one
    is the output. Never raises; the outcome is in ``run`` as with :func:`drive`."""

    def notify(new_logs: list[Any] | None = None) -> None:
        if on_update is not None:
            on_update(run, new_logs or [])

    async def follow() -> None:
        stream = client.stream(run.endpoint, run.arguments)
        async for partial in stream:
            if run.started_at is None:
                run.request_id = run.request_id or stream.request_id
                run.started_at = time.monotonic()
                run.state = "running"
                notify()
            run.output = partial
            if on_partial is not None:
                on_partial(run, partial)
        if run.output is None:
            raise RuntimeError(f"{run.endpoint} streamed no result")

    return await _guard(run, follow(), timeout, notify)


async def _guard(
    run: Run,
    work: Coroutine[Any, Any, None],
    timeout: float | None,
    notify: Callable[[], None],
) -> Run:
    """Run ``work`` under the deadline and fold any outcome into ``run`` (never raises)."""
    try:
        await asyncio.wait_for(work, timeout)
        run.state = "done"
    except asyncio.CancelledError as exc:
        run.state, run.error = "cancelled", exc
        # a local cancel (Cancel during submit, close(), Ctrl-C, a sweep's cancel) must stop the
        # job on the server too; shielded so a second cancel cannot cut the clean-up short
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.shield(_cancel_on_server(run))
    except (asyncio.TimeoutError, TimeoutError) as exc:
        run.state, run.error = "failed", deadline_error(run, timeout, exc)
        await _cancel_on_server(run)  # don't leave the job running on the server
    except Exception as exc:
        run.error = exc
        run.state = "cancelled" if run.cancel_requested or isinstance(exc, Cancelled) else "failed"
    finally:
        run.finished_at = time.monotonic()
        notify()
    return run


def deadline_error(
    run: Run, timeout: float | None, cause: BaseException | None = None
) -> DeadlineExceeded:
    """A ``DeadlineExceeded`` naming the request, so the user can resume or look it up."""
    if isinstance(cause, DeadlineExceeded):
        return cause
    rid = run.request_id
    where = f"{run.endpoint} (request {rid})" if rid else run.endpoint
    limit = f"{timeout:g} s" if timeout is not None else "the deadline"
    error = DeadlineExceeded(f"{where}: no result within {limit}", request_id=rid)
    error.__cause__ = cause
    return error


def checked_timeout(value: Any) -> float | None:
    """``timeout`` as given to app()/sweep(): None or a positive, finite number of seconds.
    Checked at the call, so a typo fails there and not later inside every run."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise TypeError(f"timeout must be a number of seconds or None, got {value!r}")
    if not 0 < value < float("inf"):
        raise ValueError(f"timeout must be a positive, finite number of seconds, got {value!r}")
    return float(value)


async def _cancel_on_server(run: Run, grace: float = 10.0) -> None:
    """Cancel ``run``'s job on the server after a local cancel; never raises.

    A submit still in flight is awaited first (up to ``grace`` seconds): once it answers, the job
    exists on the server and would otherwise run (and bill) with nobody following it. Its request
    id is kept on the run, and the client's journal already holds it.
    """
    submitting, run.submitting = run.submitting, None
    if run.handle is None and submitting is not None:
        try:
            accepted = await asyncio.wait_for(submitting, grace)
        except BaseException:  # the submit failed or hung: no job to cancel (or none we know)
            return
        run.handle, run.request_id = accepted, accepted.request_id
    if run.handle is not None:
        await _quiet_cancel(run.handle)


async def _quiet_cancel(handle: AsyncHandle, timeout: float = 10.0) -> None:
    """Ask the server to cancel; a failure here must not hide the run's own error."""
    with contextlib.suppress(Exception):  # the request may be finished or unreachable
        await asyncio.wait_for(handle.cancel(), timeout)
