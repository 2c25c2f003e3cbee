"""`Sweep`: a grid of inputs through the queue as one anywidget, filled as results land.

The running (points, bounded concurrency, cancel on the server, waiting) is `SweepRunner`'s
(``_sweep.py``); this module is the view. Cells travel in one ``cells`` list whose
items carry a version ``v``: Python coalesces finished points into one update at most every
`FLUSH_SECONDS`, and the browser redraws only the cells whose version changed, in slices of a few
milliseconds, so a 500-point sweep keeps the page responsive while it fills.
"""

from __future__ import annotations

import asyncio
import threading
import time
from collections.abc import Mapping, Sequence
from typing import Any

import anywidget
import traitlets

from falwidgets._static import bundle
from falwidgets.previews import describe
from falwidgets.previews._widget import shared_layout
from falwidgets.runner import _loop
from falwidgets.runner._backend import Backend, backend_for
from falwidgets.runner._errors import describe as describe_exc
from falwidgets.runner._gate import CostHold
from falwidgets.runner._grid import expand, label
from falwidgets.runner._run import DEFAULT_TIMEOUT, Run, checked_timeout
from falwidgets.runner._sweep import MAX_COLUMNS, SweepPoint, SweepRunner

__all__ = ["MAX_COLUMNS", "Sweep", "images_of", "sweep"]

FLUSH_SECONDS = 0.2  # at most five cell updates per second reach the browser
TICK_SECONDS = 0.5  # how often queued/running states are sent while nothing finishes


def images_of(output: Any) -> list[dict[str, Any]]:
    """Every image of an output (a cell shows all of them, not the first with "+1")."""
    blocks = describe(output)
    return [item for b in blocks if b["kind"] == "images" for item in b["items"]]


class Sweep(SweepRunner, anywidget.AnyWidget):
    """The sweep's widget and its results (``.points``, ``.outputs``); ``await`` it to finish.

    Running, the same on ``App``, ``Sweep`` and ``History``: ``run()`` blocks and returns the
    result (here the outputs in grid order, ``None`` where a point failed: see ``.failures``),
    ``await arun()`` is its coroutine twin returning the same, ``wait()`` blocks until the work in
    flight has finished and ``await wait_async()`` (or ``await sweep``) is its twin; both return
    the sweep. A sweep starts when made (:func:`sweep`); waiting on one starts it if needed.

    The client is the kernel's shared one unless you pass yours; :meth:`close` never closes it.
    """

    _esm = bundle("sweep")
    _css = bundle("sweep", "css")
    title = traitlets.Unicode("").tag(sync=True)
    layout_spec = traitlets.Dict().tag(sync=True)  # {"cols": [...], "rows": [...]} or {}
    cells: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    counts = traitlets.Dict().tag(sync=True)  # {"ok", "failed", "cancelled", "running", "waiting"}
    finished = traitlets.Bool(False).tag(sync=True)
    gate = traitlets.Dict().tag(sync=True)  # CostHold.state(): {line, hold, held, start}

    def __init__(
        self,
        endpoint: str,
        base_inputs: Mapping[str, Any] | None,
        grid: Mapping[str, Sequence[Any]],
        *,
        concurrency: int = 8,
        client: Any = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        confirm: bool = False,
    ) -> None:
        if not isinstance(endpoint, str) or not endpoint:
            raise TypeError("sweep() needs an endpoint id like 'fal-ai/flux/dev'")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be a positive integer, got {concurrency!r}")
        super().__init__(layout=shared_layout())
        self.endpoint = endpoint
        self.concurrency = concurrency
        self.timeout = checked_timeout(timeout)
        self.points = [
            SweepPoint(params, args, Run(endpoint=endpoint, arguments=args))
            for params, args in expand(base_inputs, grid)
        ]
        self.backend: Backend = backend_for(client)
        # the estimated total; above FALWIDGETS_CONFIRM_ABOVE nothing is sent until confirmed
        self.cost = CostHold(
            [(endpoint, p.arguments) for p in self.points],
            client=self.backend.client,
            confirmed=confirm,
            on_confirm=self.start,
        )
        self.cost.on_change(lambda: setattr(self, "gate", self.cost.state()))
        self.gate = self.cost.state()
        self._task: Any = None
        self._children: list[Any] = []
        self._stopping = False
        self._lock = threading.Lock()
        self._dirty: set[int] = set()
        self._flush_timer: threading.Timer | None = None
        self._ticker: Any = None
        self._last_flush = 0.0
        self._cells: list[dict[str, Any]] = [
            {
                "i": i,
                "v": 0,
                "label": label(p.params),
                "title": label(p.params, 400),
                "state": "waiting",
            }
            for i, p in enumerate(self.points)
        ]
        n = len(self.points)
        self.title = f"{endpoint} · {n} run{'s' if n != 1 else ''} · {self.backend.note}"
        self.layout_spec = self._layout(dict(grid))
        self.counts = self._count()
        self.cells = [dict(c) for c in self._cells]
        self.on_msg(self._on_msg)
        _ = self.add_class("fw-sweep")  # a hook for saved-notebook checks (JupyterLab only)

    def _layout(self, grid: dict[str, Sequence[Any]]) -> dict[str, Any]:
        """A table when there are two or more keys and the last has few values: one column per
        value of the last key, one row per combination of the others; else one even grid."""
        keys = list(grid)
        last = list(grid[keys[-1]])
        if len(keys) < 2 or len(last) > MAX_COLUMNS:
            return {}
        cols = [label({keys[-1]: v}) for v in last]
        rows = []
        for row in range(len(self.points) // len(last)):
            first = self.points[row * len(last)]
            rest = {k: v for k, v in first.params.items() if k != keys[-1]}
            rows.append({"label": label(rest), "title": label(rest, 400)})
        return {"cols": cols, "rows": rows}

    def start(self) -> Sweep:
        """Start on the runner loop (with a ticker that shows queued/running cells); in a plain
        script, wait until the sweep has finished. A no-op once started or cancelled."""
        if self._task is None and not self._stopping and not self.cost.held:
            self._ticker = _loop.spawn(self._tick())
        SweepRunner.start(self)
        return self

    async def _tick(self) -> None:
        while self.comm is not None and not all(p.run.done for p in self.points):
            await asyncio.sleep(TICK_SECONDS)
            self._flush()

    # -- cells ---------------------------------------------------------------------------------
    def _cell(self, index: int) -> dict[str, Any]:
        point = self.points[index]
        cell = dict(self._cells[index])
        cell["v"] += 1
        run = point.run
        if point.ok:
            images = images_of(point.output)
            cell.update(state="done", images=images, error=None)
            cell["blocks"] = [] if images else describe(point.output)
        elif run.done:
            title, detail, rid = describe_exc(run.error) if run.error else ("Failed", "", None)
            if run.state == "cancelled":
                title, detail = "Cancelled", ""
            cell.update(
                state=run.state,
                images=[],
                blocks=[],
                error={"title": title, "detail": detail, "request_id": rid or run.request_id},
            )
        else:
            cell["state"] = {"queued": "queued", "running": "running"}.get(run.state, "waiting")
        return cell

    def _fill(self, index: int) -> None:
        """A point finished (called on the runner loop): update its cell, batched."""
        with self._lock:
            self._cells[index] = self._cell(index)
            self._dirty.add(index)
        self._schedule()

    def _schedule(self) -> None:
        if all(p.run.done for p in self.points):
            self._flush()
            return
        with self._lock:
            if self._flush_timer is not None:
                return
            wait = max(0.0, FLUSH_SECONDS - (time.monotonic() - self._last_flush))
            self._flush_timer = threading.Timer(wait, self._flush)
            self._flush_timer.daemon = True
            self._flush_timer.start()

    def _flush(self) -> None:
        """Send every changed cell at once (one trait update), with the counts."""
        with self._lock:
            timer, self._flush_timer = self._flush_timer, None
            if timer is not None:
                timer.cancel()
            for index, point in enumerate(self.points):  # running/queued states ride along
                if index not in self._dirty and not point.run.done:
                    state = {"queued": "queued", "running": "running"}.get(
                        point.run.state, "waiting"
                    )
                    if self._cells[index]["state"] != state:
                        self._cells[index] = {
                            **self._cells[index],
                            "state": state,
                            "v": self._cells[index]["v"] + 1,
                        }
            self._dirty.clear()
            self._last_flush = time.monotonic()
            if self.comm is None:
                return
            # sent under the lock: a timer's flush and the last point's flush never interleave,
            # so an older snapshot cannot overwrite a newer one
            self.cells = [dict(c) for c in self._cells]
            self.counts = self._count()
            self.finished = all(p.run.done for p in self.points)

    def _count(self) -> dict[str, int]:
        states = [p.run.state for p in self.points]
        return {
            "ok": states.count("done"),
            "failed": states.count("failed"),
            "cancelled": states.count("cancelled"),
            "running": states.count("running") + states.count("queued"),
            "waiting": states.count("submitting"),
            "total": len(states),
        }

    # -- control -------------------------------------------------------------------------------
    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        kind = content.get("type") if isinstance(content, dict) else None
        if kind == "cancel":
            self.cancel()
        elif kind == "confirm":  # the Start button of a sweep held by its estimated cost
            self.confirm()

    def close(self) -> None:
        """Cancel what still runs (on the server too): a closed sweep leaves no jobs behind."""
        if not getattr(self, "_stopping", True) and not self.done:
            self.cancel()
        self._stopping = True
        timer = getattr(self, "_flush_timer", None)
        if timer is not None:
            timer.cancel()
        ticker = getattr(self, "_ticker", None)
        if ticker is not None:
            ticker.cancel()
        super().close()


def sweep(
    endpoint: str,
    base_inputs: Mapping[str, Any] | None = None,
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    concurrency: int = 8,
    client: Any = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    confirm: bool = False,
) -> Sweep:
    """Run ``base_inputs`` with every combination of ``grid`` values; return the live grid widget.

    The estimated total is shown first; above ``FALWIDGETS_CONFIRM_ABOVE`` (default $1) nothing
    is sent until you click Start or call ``.confirm()`` (``confirm=True`` agrees up front).

    In a notebook the sweep runs in the background (``await s`` or ``s.wait()`` for the results);
    in a script it has finished when this returns.
    """
    if grid is None:
        raise TypeError("sweep() needs grid={'field': [values, ...]}")
    return Sweep(
        endpoint,
        base_inputs,
        grid,
        concurrency=concurrency,
        client=client,
        timeout=timeout,
        confirm=confirm,
    ).start()
