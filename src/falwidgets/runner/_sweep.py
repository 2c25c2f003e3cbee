"""Sweeps: a grid of inputs through the queue with bounded concurrency, previews as they land.

One progress bar for the whole grid; each cell is labelled with its parameters and fills in with its
preview (or its error) when that request finishes, in whatever order the queue completes them.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import time
from collections.abc import Generator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from falwidgets.client import AsyncClient
from falwidgets.previews import esc, safe_url
from falwidgets.runner import _loop
from falwidgets.runner._backend import Backend, backend_for
from falwidgets.runner._entry import first_image
from falwidgets.runner._errors import describe
from falwidgets.runner._gate import CostGate
from falwidgets.runner._grid import expand, label
from falwidgets.runner._render import close_tree, show_in
from falwidgets.runner._run import DEFAULT_TIMEOUT, Run, _quiet_cancel, checked_timeout, drive

MAX_COLUMNS = 6  # a wider last axis falls back to wrapped, individually labelled cells
CELL_WIDTH = 220  # px: compact cells, several side by side
CAPTION_STYLE = (
    "font-size:11px;color:#777;white-space:nowrap;overflow:hidden;text-overflow:ellipsis"
)
HEADER_STYLE = "font-size:12px;font-weight:600;padding:2px 6px;white-space:nowrap"


def _header(text: str, css: str) -> w.HTML:
    head = w.HTML(f'<div class="{css}" style="{HEADER_STYLE}">{esc(text)}</div>')
    head.add_class("fw-sweep-header")
    return head


def compact_html(output: Any, title: str) -> str | None:
    """A sweep cell's picture alone (the grid is for comparing images), or ``None`` when the
    output has no image (then the full preview is shown)."""
    src = first_image(output)
    if not src:
        return None
    img = (
        f'<img class="fw-sweep-img" src="{esc(src)}" loading="lazy" alt="{esc(title)}" '
        'style="width:100%;height:auto;display:block;border-radius:3px">'
    )
    # link only real URLs: a data: URI in an href is a navigation target (an SVG one may run
    # script) and would send the whole image a second time
    href = safe_url(src, href=True)
    if href is None or href.startswith("data:"):
        return f'<span title="{esc(title)}">{img}</span>'
    return (
        f'<a href="{esc(href)}" target="_blank" rel="noopener noreferrer" title="{esc(title)}">'
        f"{img}</a>"
    )


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


class Sweep(w.VBox):
    """The sweep's widget and its results (``.points``, ``.outputs``); ``await`` it to finish.

    Running, the same on ``App``, ``Sweep`` and ``History``: ``run()`` blocks and returns the
    result (here the outputs in grid order, ``None`` where a point failed: see ``.failures``),
    ``await arun()`` is its coroutine twin returning the same, ``wait()`` blocks until the work in
    flight has finished and ``await wait_async()`` (or ``await sweep``) is its twin; both return
    the sweep. A sweep starts when made (:func:`sweep`); waiting on one starts it if needed.

    The client is the kernel's shared one unless you pass yours; :meth:`close` never closes it.
    """

    def __init__(
        self,
        endpoint: str,
        base_inputs: Mapping[str, Any] | None,
        grid: Mapping[str, Sequence[Any]],
        *,
        concurrency: int = 8,
        client: AsyncClient | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        confirm: bool = False,
    ) -> None:
        if not isinstance(endpoint, str) or not endpoint:
            raise TypeError("sweep() needs an endpoint id like 'fal-ai/flux/dev'")
        if isinstance(concurrency, bool) or not isinstance(concurrency, int) or concurrency < 1:
            raise ValueError(f"concurrency must be a positive integer, got {concurrency!r}")
        self.endpoint = endpoint
        self.concurrency = concurrency
        self.timeout = checked_timeout(timeout)
        self.points = [
            SweepPoint(params, args, Run(endpoint=endpoint, arguments=args))
            for params, args in expand(base_inputs, grid)
        ]
        self.backend: Backend = backend_for(client)
        # the estimated total; above FALWIDGETS_CONFIRM_ABOVE nothing is sent until confirmed
        self.cost = CostGate(
            [(endpoint, p.arguments) for p in self.points],
            client=self.backend.client,
            confirmed=confirm,
            on_confirm=self.start,
        )
        self._task: concurrent.futures.Future[None] | None = None
        self._children: list[asyncio.Future[None]] = []
        self._stopping = False

        n = len(self.points)
        self.progress = w.IntProgress(value=0, min=0, max=n, description=f"0/{n}")
        self.progress.add_class("fw-sweep-progress")
        self.caption = w.HTML(
            f'<span class="fw-note-text">{esc(endpoint)} · {n} runs · '
            f"{esc(self.backend.note)}</span>"
        )
        self._cells: list[w.VBox] = []
        for point in self.points:
            head = w.HTML(
                f'<div class="fw-sweep-label" title="{esc(label(point.params, 400))}" '
                f'style="{CAPTION_STYLE}">{esc(label(point.params))}</div>'
            )
            body = w.HTML('<span class="fw-state fw-state-queued">waiting…</span>')
            body.add_class("fw-preview")  # filled in place with the preview when it lands
            cell = w.VBox([head, body], layout=w.Layout(border="1px solid #eee", padding="2px"))
            cell.add_class("fw-sweep-cell")
            self._cells.append(cell)
        self.grid = self._layout(dict(grid))
        self.grid.add_class("fw-sweep-grid")
        self.cancel_button = w.Button(description="Cancel", icon="stop", tooltip="Stop the sweep")
        self.cancel_button.add_class("fw-sweep-cancel")
        self.cancel_button.on_click(lambda _b: self.cancel())
        super().__init__(
            [w.HBox([self.progress, self.cancel_button]), self.cost, self.caption, self.grid]
        )
        self.add_class("fw-sweep")

    def _layout(self, grid: dict[str, Sequence[Any]]) -> w.GridBox:
        """Cells in a table: with two or more swept keys, one column per value of the last key
        and one row per combination of the others, each headed by the values it stands for."""
        keys = list(grid)
        last = list(grid[keys[-1]])
        if len(keys) < 2 or len(last) > MAX_COLUMNS:
            columns = max(1, min(len(last) if len(keys) > 1 else len(grid[keys[0]]), 4))
            return w.GridBox(
                self._cells,
                layout=w.Layout(grid_template_columns=f"repeat({columns}, minmax(0, 1fr))"),
            )
        corner = w.HTML("")
        heads = [_header(label({keys[-1]: value}), "fw-sweep-col") for value in last]
        children: list[w.Widget] = [corner, *heads]
        for row in range(len(self._cells) // len(last)):
            first = self.points[row * len(last)]
            rest = {k: v for k, v in first.params.items() if k != keys[-1]}
            children.append(_header(label(rest), "fw-sweep-row"))
            children.extend(self._cells[row * len(last) : (row + 1) * len(last)])
        template = f"max-content repeat({len(last)}, minmax(0, {CELL_WIDTH}px))"
        return w.GridBox(children, layout=w.Layout(grid_template_columns=template))

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
    def start(self) -> Sweep:
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

    def _fill(self, index: int) -> None:
        point, cell = self.points[index], self._cells[index]
        if not point.run.done:
            return
        if point.ok:
            compact = compact_html(point.output, label(point.params, 400))
            if compact is not None and isinstance(cell.children[1], w.HTML):
                cell.children[1].value = compact
            else:
                show_in(cell, point.output, slot=1)
        else:
            title, detail, rid = describe(point.error) if point.error else ("Failed", "", None)
            rid_text = (
                f" (request {esc(rid or point.run.request_id)})"
                if (rid or point.run.request_id)
                else ""
            )
            body = cell.children[1]
            if not isinstance(body, w.HTML):  # the placeholder is an HTML widget: reuse it
                body = w.HTML()
                old, cell.children = cell.children[1], [cell.children[0], body]
                close_tree(old)
            body.value = (
                f'<div class="fw-sweep-error" style="color:#c62828"><b>{esc(title)}</b> '
                f"{esc(detail)}{rid_text}</div>"
            )
        finished = sum(p.run.done for p in self.points)
        self.progress.value = finished
        self.progress.description = f"{finished}/{len(self.points)}"
        self.progress.bar_style = "success" if finished == len(self.points) else ""
        if self.failures:
            failed = len(self.failures) > len(self.cancelled)
            ended = finished == len(self.points)
            self.progress.bar_style = "danger" if ended and failed else "warning"
        if finished == len(self.points):
            self.cancel_button.disabled = True

    async def wait_async(self, timeout: float | None = None) -> Sweep:
        """``await sweep.wait_async()`` (or ``await sweep``): until every point has finished."""
        self.cost.check()
        self.start()
        if self._task is not None:
            await _loop.wait_for(self._task, timeout)
        return self

    def confirm(self) -> Sweep:
        """Start a sweep held back by its estimated cost (the Start button does the same)."""
        self.cost.confirm()
        return self.start()

    def wait(self, timeout: float | None = None) -> Sweep:
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

    def __await__(self) -> Generator[Any, None, Sweep]:
        return self.wait_async().__await__()

    def cancel(self) -> None:
        """Stop the sweep: waiting points end ``cancelled`` at once, running ones are cancelled
        on the server too; every cell and the progress bar reach their final state."""
        self._stopping = True  # before anything else: start() now never sends a point
        self.cancel_button.disabled = True
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

    def close(self) -> None:
        """Cancel what still runs (on the server too) and close the grid's widgets: a closed
        sweep leaves neither jobs nor widget models behind."""
        if not hasattr(self, "_stopping"):  # __init__ failed before any state existed
            super().close()
            return
        if not self._stopping and not self.done:
            self.cancel()
        self._stopping = True
        for widget in list(self.children):
            close_tree(widget)
        super().close()


def sweep(
    endpoint: str,
    base_inputs: Mapping[str, Any] | None = None,
    grid: Mapping[str, Sequence[Any]] | None = None,
    *,
    concurrency: int = 8,
    client: AsyncClient | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    confirm: bool = False,
) -> Sweep:
    """Run ``base_inputs`` with every combination of ``grid`` values; return the live grid widget.

    The estimated total is shown first; above ``FALWIDGETS_CONFIRM_ABOVE`` (default $1) nothing
    is sent until you click Start or call ``.confirm()`` (``confirm=True`` agrees up front).

    In a notebook the sweep runs in the background (``s.wait()``, ``await s`` or ``s.run()`` for
    the results); in a script it has finished when this returns.
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
