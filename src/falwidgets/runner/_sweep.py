"""Sweeps: a grid of inputs through the queue with bounded concurrency (the running, not the view).

`SweepRunner` sends every point, at most ``concurrency`` at once, and ends each point's run
(done, failed or cancelled, on the server too); the anywidget in ``_sweep_widget.py`` draws it.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Generator
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from falwidgets.runner import _loop
from falwidgets.runner._backend import Backend
from falwidgets.runner._gate import CostHold
from falwidgets.runner._run import Run, _quiet_cancel, drive

__all__ = ["MAX_COLUMNS", "SweepPoint", "SweepRunner"]

MAX_COLUMNS = 6  # a wider last axis falls back to one even grid

if TYPE_CHECKING:
    from typing_extensions import Self


@dataclass(eq=False)
class SweepPoint:
    """One grid point: its parameters, the full arguments sent, and its run."""

    params: dict[str, Any]
    arguments: dict[str, Any]
    run: Run

    @property
    def output(self) -> Any:
        return self.run.output

    @property
    def error(self) -> BaseException | None:
        return self.run.error

    @property
    def ok(self) -> bool:
        return self.run.state == "done"


class SweepRunner:
    """What a sweep does, whatever draws it: ``points`` through the queue, at most
    ``concurrency`` at once, cancel on the server, waiting. The view (``runner/_sweep_widget.py``)
    sets the attributes below and implements ``_fill(index)``, called as each point ends.

    ``wait()`` blocks until every point has finished; ``await sweep`` (or ``wait_async()``) is
    the same from async code.
    """

    endpoint: str
    concurrency: int
    timeout: float | None
    points: list[SweepPoint]
    backend: Backend
    cost: CostHold  # the estimated total; held above FALWIDGETS_CONFIRM_ABOVE until confirmed
    _task: concurrent.futures.Future[None] | None
    _children: list[asyncio.Future[None]]
    _stopping: bool

    def _fill(self, index: int) -> None:
        raise NotImplementedError

    # -- results -----------------------------------------------------------------------------
    @property
    def done(self) -> bool:
        return all(p.run.done for p in self.points)

    @property
    def outputs(self) -> list[Any]:
        """Outputs in grid order (``None`` where a run failed)."""
        return [p.output for p in self.points]

    @property
    def failures(self) -> list[SweepPoint]:
        """Points that finished without a result (failed or cancelled)."""
        return [p for p in self.points if p.run.done and not p.ok]

    @property
    def cancelled(self) -> list[SweepPoint]:
        return [p for p in self.points if p.run.state == "cancelled"]

    def __len__(self) -> int:
        return len(self.points)

    def __repr__(self) -> str:
        finished = sum(p.run.done for p in self.points)
        return (
            f"<Sweep {self.endpoint}: {finished}/{len(self.points)} done, "
            f"{len(self.failures)} failed>"
        )

    # -- running -----------------------------------------------------------------------------
    def start(self) -> Self:
        """Start on the runner loop; in a plain script, wait until the sweep has finished.

        A no-op once started, and after :meth:`cancel` or :meth:`close`: a cancelled sweep must not
        send its points later because someone waited on it.
        """
        if self._task is not None or self._stopping or self.cost.held:
            return self
        self._task = _loop.spawn(self._run_all())
        if _loop.running_loop() is None:
            _loop.block(self._task, self._deadline)
        return self

    @property
    def _deadline(self) -> float | None:
        if self.timeout is None:
            return None
        rounds = -(-len(self.points) // self.concurrency)
        return self.timeout * rounds + 10

    async def _run_all(self) -> None:
        """Every point under the semaphore; ends (normally) once each point is final, also when
        the sweep is cancelled, so waiting on the sweep never hangs or raises for a cancel."""
        gate = asyncio.Semaphore(self.concurrency)

        async def one(index: int) -> None:
            point = self.points[index]
            try:
                if self._stopping:
                    raise asyncio.CancelledError
                async with gate:
                    if self._stopping:
                        raise asyncio.CancelledError
                    await drive(point.run, self.backend.client, timeout=self.timeout)
            except asyncio.CancelledError:  # cancelled while waiting for its turn
                self._mark_cancelled(point)
            finally:
                self._fill(index)

        self._children = [asyncio.ensure_future(one(i)) for i in range(len(self.points))]
        await asyncio.gather(*self._children, return_exceptions=True)

    def _stop_children(self) -> None:
        """On the runner loop: cancel every point still waiting or running."""
        self._stopping = True
        for child in self._children:
            child.cancel()

    @staticmethod
    def _mark_cancelled(point: SweepPoint) -> None:
        run = point.run
        if not run.done:
            run.state, run.error = "cancelled", asyncio.CancelledError()
            run.finished_at = run.finished_at or time.monotonic()

    async def wait_async(self, timeout: float | None = None) -> Self:
        """``await sweep.wait_async()`` (or ``await sweep``): until every point has finished."""
        self.cost.check()
        self.start()
        if self._task is not None:
            await _loop.wait_for(self._task, timeout)
        return self

    def confirm(self) -> Self:
        """Start a sweep held back by its estimated cost (the Start button does the same)."""
        self.cost.confirm()
        self.start()
        return self

    def wait(self, timeout: float | None = None) -> Self:
        """Block until every point has finished (``TimeoutError`` after ``timeout`` seconds; the
        sweep keeps going: :meth:`cancel` stops it). A sweep held for confirmation raises
        :class:`ConfirmationRequired` instead of waiting forever."""
        self.cost.check()
        self.start()
        if self._task is not None:
            _loop.wait_all([self._task], timeout)
        return self

    def run(self, timeout: float | None = None) -> list[Any]:
        """Block until every point has finished and return the outputs in grid order."""
        return self.wait(timeout).outputs

    async def arun(self, timeout: float | None = None) -> list[Any]:
        """:meth:`run` from async code: the outputs in grid order."""
        return (await self.wait_async(timeout)).outputs

    def __await__(self) -> Generator[Any, None, SweepRunner]:
        return self.wait_async().__await__()

    def cancel(self) -> None:
        """Stop the sweep: waiting points end ``cancelled`` at once, running ones are cancelled
        on the server too; every point reaches its final state (and its cell, through ``_fill``)."""
        self._stopping = True  # before anything else: start() now never sends a point
        for point in self.points:
            point.run.cancel_requested = True
            if not point.run.done and point.run.handle is not None:
                _loop.spawn(_quiet_cancel(point.run.handle))
        if self._task is not None:
            _loop.runner_loop().call_soon_threadsafe(self._stop_children)
            return
        for index, point in enumerate(self.points):  # never started: nothing to stop remotely
            self._mark_cancelled(point)
            self._fill(index)
