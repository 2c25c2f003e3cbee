"""compare(): one canonical input run on several models at once, results side by side.

The canonical input (prompt, image or images, image size or aspect ratio, seed, count, negative
prompt, duration) is mapped onto each model's own fields by role (``schema/_canonical``); what a
model cannot take is listed on its card. The runs go through the queue in parallel on the runner
loop with the kernel's shared client (``_backend``), like a sweep; the estimated total is shown
first and held above ``FALWIDGETS_CONFIRM_ABOVE`` until confirmed (``_gate``). Each card shows time
and estimated cost, and opens its model's app pre-filled with the arguments it was sent.

The cards are an anywidget (``js/src/compare/index.js`` built to ``static/compare.js`` by
``npm run build``); the opened app goes in a slot below.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
from collections.abc import Generator, Mapping, Sequence
from typing import Any

import anywidget
import ipywidgets as w
import traitlets

from falwidgets._static import bundle
from falwidgets.client import AsyncClient
from falwidgets.client._models import Price
from falwidgets.previews import find_media
from falwidgets.runner import _loop
from falwidgets.runner._backend import Backend, backend_for
from falwidgets.runner._costs import estimate_for, money, prices, schema_defaults
from falwidgets.runner._errors import describe
from falwidgets.runner._gate import CostGate
from falwidgets.runner._run import DEFAULT_TIMEOUT, Run, _quiet_cancel, checked_timeout, drive
from falwidgets.schema._canonical import Mapped, map_inputs

MAX_MODELS = 8


class CompareView(anywidget.AnyWidget):
    """The side-by-side cards; ``cells`` is rebuilt from the runs on every change."""

    _esm = bundle("compare")
    cells = traitlets.List(traitlets.Dict()).tag(sync=True)
    summary = traitlets.Unicode("").tag(sync=True)


class Compare(w.VBox):
    """The runs of one canonical input on several models. ``run()`` blocks and returns the
    outputs by endpoint id; ``wait()``, ``wait_async()``, ``arun()`` as for a sweep."""

    def __init__(
        self,
        endpoint_ids: Sequence[str],
        inputs: Mapping[str, Any],
        *,
        client: AsyncClient | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        confirm: bool = False,
    ) -> None:
        from falwidgets.schema import load_endpoint

        ids = [endpoint_ids] if isinstance(endpoint_ids, str) else list(endpoint_ids)
        ids = list(dict.fromkeys(e.strip().strip("/") for e in ids))
        if not 1 <= len(ids) <= MAX_MODELS:
            raise ValueError(f"compare() takes 1 to {MAX_MODELS} endpoint ids, got {len(ids)}")
        if not isinstance(inputs, Mapping) or not inputs:
            raise ValueError("compare() needs inputs, e.g. {'prompt': 'a red fox', 'seed': 1}")
        self.timeout = checked_timeout(timeout)
        self.backend: Backend = backend_for(client)
        self.mapped: dict[str, Mapped] = {
            e: map_inputs(e, load_endpoint(e).input, inputs) for e in ids
        }
        self.runs: dict[str, Run] = {
            e: Run(endpoint=e, arguments=m.arguments) for e, m in self.mapped.items()
        }
        self.titles = {e: _title(e) for e in ids}
        self.prices: dict[str, Price] = prices(ids, self.backend.client)
        self.costs = {
            e: estimate_for(e, m.arguments, price=self.prices.get(e), defaults=schema_defaults(e))
            if e in self.prices
            else None
            for e, m in self.mapped.items()
        }
        self.cost = CostGate(
            [(e, m.arguments) for e, m in self.mapped.items()],
            client=self.backend.client,
            confirmed=confirm,
            on_confirm=self.start,
        )
        self.view = CompareView()
        self.view.on_msg(self._on_msg)
        self.app: Any = None
        self.slot = w.VBox([])
        self._task: concurrent.futures.Future[None] | None = None
        self._render()
        super().__init__([self.cost, self.view, self.slot])
        self.add_class("fw-compare-box")

    # -- display -------------------------------------------------------------------------------
    def _cell(self, endpoint_id: str) -> dict[str, Any]:
        run, mapped, cost = (
            self.runs[endpoint_id],
            self.mapped[endpoint_id],
            self.costs[endpoint_id],
        )
        cell: dict[str, Any] = {
            "endpoint_id": endpoint_id,
            "title": self.titles[endpoint_id],
            "state": "waiting" if self._task is None and not run.done else run.state,
            "elapsed": run.elapsed if run.done else None,
            "cost": f"est. {money(cost)}" if cost is not None else "price unknown",
            "dropped": mapped.dropped,
            "missing": mapped.missing,
            "media": [],
            "error": "",
        }
        if run.state == "done":
            cell["media"] = [
                {
                    "kind": "image" if m.kind == "image" else m.kind,
                    "url": m.url,
                    "name": m.file_name,
                }
                for m in find_media(run.output)
                if m.url
            ]
        elif run.error is not None and run.state == "failed":
            title, detail, _rid = describe(run.error)
            cell["error"] = f"{title}: {detail}" if detail else title
        return cell

    def _render(self, *_args: Any) -> None:
        self.view.cells = [self._cell(e) for e in self.runs]
        finished = sum(r.done for r in self.runs.values())
        self.view.summary = f"{finished}/{len(self.runs)} done · {self.backend.note}"

    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "open":
            endpoint_id = content.get("endpoint_id")
            if endpoint_id in self.runs:
                self.load(endpoint_id)

    def load(self, endpoint_id: str) -> Any:
        """Open ``endpoint_id``'s app below, pre-filled with the arguments it was sent."""
        from falwidgets.runner._app import app

        if endpoint_id not in self.runs:
            raise ValueError(f"{endpoint_id!r} is not in this compare")
        if self.app is not None:
            self.app.close()
        self.app = app(endpoint_id, inputs=self.runs[endpoint_id].arguments)
        self.slot.children = [self.app]
        return self.app

    # -- running -------------------------------------------------------------------------------
    def start(self) -> Compare:
        """Start every run on the runner loop (a no-op once started or while held)."""
        if self._task is not None or self.cost.held:
            return self
        self._task = _loop.spawn(self._run_all())
        self._render()
        if _loop.running_loop() is None:
            _loop.block(self._task, None if self.timeout is None else self.timeout + 10)
        return self

    def confirm(self) -> Compare:
        self.cost.confirm()
        return self.start()

    async def _run_all(self) -> None:
        async def one(run: Run) -> None:
            await drive(run, self.backend.client, self._render, timeout=self.timeout)
            self._render()

        await asyncio.gather(*(one(r) for r in self.runs.values()), return_exceptions=True)
        self._render()

    @property
    def done(self) -> bool:
        return all(r.done for r in self.runs.values())

    @property
    def outputs(self) -> dict[str, Any]:
        return {e: r.output for e, r in self.runs.items()}

    def wait(self, timeout: float | None = None) -> Compare:
        self.cost.check()
        self.start()
        if self._task is not None:
            _loop.wait_all([self._task], timeout)
        return self

    async def wait_async(self, timeout: float | None = None) -> Compare:
        self.cost.check()
        self.start()
        if self._task is not None:
            await _loop.wait_for(self._task, timeout)
        return self

    def run(self, timeout: float | None = None) -> dict[str, Any]:
        return self.wait(timeout).outputs

    async def arun(self, timeout: float | None = None) -> dict[str, Any]:
        return (await self.wait_async(timeout)).outputs

    def __await__(self) -> Generator[Any, None, Compare]:
        return self.wait_async().__await__()

    def __repr__(self) -> str:
        finished = sum(r.done for r in self.runs.values())
        return f"<Compare {len(self.runs)} models: {finished} done>"

    def close(self) -> None:
        """Cancel what still runs (on the server too) and close the cards and the opened app."""
        if not hasattr(self, "slot"):  # __init__ failed before the widgets existed
            super().close()
            return
        for run in self.runs.values():
            run.cancel_requested = True
            if not run.done and run.handle is not None:
                _loop.spawn(_quiet_cancel(run.handle))
        if self.app is not None:
            self.app.close()
        self.view.close()
        self.cost.close()
        super().close()


def _title(endpoint_id: str) -> str:
    from falwidgets.schema._catalog_models import catalog_models

    for record in catalog_models():
        if record["endpoint_id"] == endpoint_id:
            return str(record["metadata"].get("display_name") or endpoint_id)
    return endpoint_id


def compare(
    endpoint_ids: Sequence[str],
    inputs: Mapping[str, Any],
    *,
    client: AsyncClient | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    confirm: bool = False,
) -> Compare:
    """Run one canonical input on several models, side by side with time and cost.

    ``inputs`` keys: prompt, negative_prompt, image, images, image_size, aspect_ratio, seed,
    num_images, duration; each is mapped onto the model's own field by role, and what a model
    cannot take is listed on its card. Above ``FALWIDGETS_CONFIRM_ABOVE`` nothing starts until
    you click Start or call ``.confirm()``.
    """
    return Compare(endpoint_ids, inputs, client=client, timeout=timeout, confirm=confirm).start()
