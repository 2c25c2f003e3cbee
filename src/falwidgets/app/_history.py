"""Past runs as cards: thumbnail, endpoint, status, time; load, rerun, compare two side by side.

The journal (client layer) is the source of truth. Opening the history resumes runs that were in
flight when a kernel died: their journal entries have no final state, so each is followed again
through the client, which records the outcome, and its card is refreshed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
from typing import Any
from urllib.parse import urlsplit

import ipywidgets as w

from falwidgets.app import _loop
from falwidgets.app._app import App, close_tree, render_output
from falwidgets.app._backend import Backend, backend_for
from falwidgets.app._diff import diff_html
from falwidgets.app._entry import EntryView, safe_src, without_omitted
from falwidgets.app._errors import describe
from falwidgets.app._panes import esc
from falwidgets.app._run import Run, drive

RESUME_TIMEOUT = 300.0
UPLOAD_AGAIN = "upload again: this file was inlined as a data URI too large for the history"


def rerun_blocker(fields: list[str]) -> str:
    """Why a past run cannot be sent again as it was (its uploads were not kept)."""
    names = ", ".join(fields)
    return (
        f"the file in {names} was uploaded as a data URI over 64 KB, which the history does not "
        "keep; Load the run, upload the file again, then Run"
    )


_STATUS_COLOURS = {"COMPLETED": "#2e7d32", "OK": "#2e7d32", "FAILED": "#c62828", "ERROR": "#c62828"}


def read_journal(limit: int | None = None, endpoint: str | None = None) -> list[EntryView]:
    """Journal entries, newest first, as :class:`EntryView` (optionally for one endpoint)."""
    from falwidgets.client import journal

    return [EntryView.of(entry) for entry in journal(limit=limit, endpoint=endpoint)]


class Card(w.HBox):
    """One past run: thumbnail, facts, Load / Rerun buttons and a Compare checkbox."""

    def __init__(self, view: EntryView) -> None:
        self.view = view
        self.thumb = w.HTML()
        self.facts = w.HTML()
        self.load_button = w.Button(description="Load", icon="upload", layout={"width": "80px"})
        self.rerun_button = w.Button(description="Rerun", icon="redo", layout={"width": "80px"})
        self.compare_box = w.Checkbox(description="Compare", indent=False)
        self.load_button.add_class("fw-load")
        self.rerun_button.add_class("fw-rerun")
        self.compare_box.add_class("fw-compare")
        actions = w.VBox([self.load_button, self.rerun_button, self.compare_box])
        super().__init__([self.thumb, self.facts, actions])
        self.add_class("fw-card")
        self.layout.border = "1px solid #ddd"
        self.layout.padding = "4px"
        self.layout.margin = "2px 0"
        self.refresh(view)

    def refresh(self, view: EntryView) -> None:
        self.view = view
        omitted = view.omitted
        self.rerun_button.disabled = bool(omitted)
        self.rerun_button.tooltip = (
            f"Cannot rerun: {rerun_blocker(omitted)}" if omitted else "Run these inputs again"
        )
        src = view.thumbnail
        self.thumb.value = (
            f'<img class="fw-thumb" src="{esc(src)}" loading="lazy" '
            'style="width:96px;height:96px;object-fit:cover;border-radius:4px">'
            if src and safe_src(src)
            else '<div class="fw-thumb fw-thumb-empty" style="width:96px;height:96px;'
            'background:#f3f3f3;border-radius:4px"></div>'
        )
        colour = _STATUS_COLOURS.get(view.status, "#555")
        inference = view.metrics.get("inference_time")
        timing = f" · {inference:.2f} s" if isinstance(inference, (int, float)) else ""
        error = f'<div class="fw-card-error">{esc(view.error[:200])}</div>' if view.error else ""
        self.facts.value = (
            f'<div class="fw-card-facts" style="padding:0 8px">'
            f"<div><b>{esc(view.endpoint)}</b></div>"
            f'<div><span class="fw-card-status" style="color:{colour}">{esc(view.status)}</span>'
            f"{esc(timing)} · {esc(view.when_text())}</div>"
            f'<div><code class="fw-request-id">{esc(view.request_id)}</code></div>{error}</div>'
        )


class History(w.VBox):
    """Cards of past runs plus a work area where loaded runs and comparisons appear."""

    def __init__(
        self,
        *,
        app: App | None = None,
        client: Any = None,
        limit: int = 50,
        endpoint: str | None = None,
        resume: bool = True,
    ) -> None:
        self.limit, self.endpoint = limit, endpoint
        self._client = client
        self._backend: Backend | None = None
        self.apps: dict[str, App] = {}
        if app is not None and app.endpoint:
            self.apps[app.endpoint] = app
        self._own_apps: set[str] = set()
        self.cards: list[Card] = []
        self._selected: list[Card] = []
        self._handed_out: set[int] = set()  # work-area widgets returned to the caller: never closed
        self.resumed: list[Run] = []
        self._resume_task: concurrent.futures.Future[None] | None = None

        self.header = w.HTML()
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.refresh_button.on_click(lambda _b: self.refresh())
        self.list = w.VBox([])
        self.list.add_class("fw-history-list")
        self.work = w.VBox([])
        self.work.add_class("fw-history-work")
        super().__init__([w.HBox([self.header, self.refresh_button]), self.list, self.work])
        self.add_class("fw-history")
        self.refresh()
        if resume:
            self.resume_pending()

    @property
    def backend(self) -> Backend:
        if self._backend is None:
            shared = next(iter(self.apps.values()), None)
            client = self._client if self._client is not None else None
            if client is None and shared is not None:
                self._backend = shared.backend
            else:
                self._backend = backend_for(client)
        return self._backend

    def __repr__(self) -> str:
        return f"<History: {len(self.cards)} runs, {len(self.pending())} in flight>"

    @property
    def entries(self) -> list[EntryView]:
        return [card.view for card in self.cards]

    # -- listing -----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the journal and rebuild the cards (keeps nothing stale on screen)."""
        views = read_journal(self.limit, self.endpoint)
        old = list(self.list.children)
        self._selected = []
        self.cards = [self._card(v) for v in views]
        self.list.children = self.cards
        for widget in old:
            close_tree(widget)
        pending = sum(not v.final for v in views)
        extra = f" · {pending} in flight" if pending else ""
        self.header.value = f'<b class="fw-history-count">{len(views)} runs</b>{esc(extra)}'

    def _card(self, view: EntryView) -> Card:
        card = Card(view)
        card.load_button.on_click(lambda _b, c=card: self._safely(self.load, c.view))
        card.rerun_button.on_click(lambda _b, c=card: self._safely(self.rerun, c.view))
        card.compare_box.observe(lambda ch, c=card: self._toggle(c, ch["new"]), names="value")
        return card

    def _safely(self, action: Any, view: EntryView) -> None:
        """Button handlers: show a failure (say, a form that cannot be built offline) in place."""
        try:
            action(view)
        except Exception as exc:
            title, detail, _ = describe(exc)
            message = w.HTML(
                f'<div class="fw-banner" style="color:#c62828"><b>{esc(title)}</b>: '
                f"{esc(detail)} ({esc(view.endpoint)})</div>"
            )
            self._show_work([message])

    # -- load / rerun ------------------------------------------------------------------------
    def app_for(self, endpoint: str) -> App:
        """The app that loads and reruns runs of ``endpoint`` (one per endpoint, shown below)."""
        found = self.apps.get(endpoint)
        if found is None:
            client = self._client if self._client is not None else self.backend.client
            found = App(endpoint, client=client)
            self.apps[endpoint] = found
            self._own_apps.add(endpoint)
        if endpoint in self._own_apps:
            self._show_work([found])
        return found

    def load(self, view: EntryView) -> App:
        """Put a past run's inputs back into a form.

        Uploads that travelled as large data URIs were not kept by the journal: those fields are
        left empty and marked "upload again" (so Run refuses until they are filled).
        """
        target = self.app_for(view.endpoint)
        omitted = view.omitted
        target.form.value = without_omitted(view.arguments)
        if omitted:
            target.form.show_errors(
                [{"loc": [name], "msg": UPLOAD_AGAIN, "type": "upload_again"} for name in omitted]
            )
        return target

    def rerun(self, view: EntryView) -> Run:
        """Run a past run's inputs again (a new request, a new journal entry)."""
        if view.omitted:
            raise ValueError(f"cannot rerun {view.request_id}: {rerun_blocker(view.omitted)}")
        return self.load(view).submit(dict(view.arguments))

    # -- compare -----------------------------------------------------------------------------
    def _toggle(self, card: Card, on: bool) -> None:
        if on:
            self._selected.append(card)
            while len(self._selected) > 2:  # keep the two most recent picks
                self._selected.pop(0).compare_box.value = False
        elif card in self._selected:
            self._selected.remove(card)
        if len(self._selected) == 2:
            self._compare(self._selected[0].view, self._selected[1].view)

    def compare(self, a: EntryView | int, b: EntryView | int) -> w.Widget:
        """Inputs diff and both outputs side by side (entries or card indexes).

        The view is also yours (a cell may display it), so later work in the history's work area
        (Load, another comparison) does not close it.
        """
        view = self._compare(a, b)
        self._handed_out.add(id(view))
        return view

    def _compare(self, a: EntryView | int, b: EntryView | int) -> w.Widget:
        left = self.cards[a].view if isinstance(a, int) else a
        right = self.cards[b].view if isinstance(b, int) else b
        names = (left.request_id[:8] or "A", right.request_id[:8] or "B")
        table = w.HTML(diff_html(left.arguments, right.arguments, names))

        def side(view: EntryView, name: str) -> w.VBox:
            head = w.HTML(f"<b>{esc(name)}</b> · {esc(view.endpoint)} · {esc(view.status)}")
            body = (
                render_output(view.output)
                if view.output is not None
                else w.HTML(f"<i>{esc(view.error or 'no output')}</i>")
            )
            box = w.VBox([head, body], layout=w.Layout(width="50%"))
            box.add_class("fw-compare-side")
            return box

        view = w.VBox([table, w.HBox([side(left, names[0]), side(right, names[1])])])
        view.add_class("fw-compare-view")
        self._show_work([view])
        return view

    def _show_work(self, children: list[w.Widget]) -> None:
        keep = {id(a) for a in self.apps.values()} | self._handed_out
        old = [c for c in self.work.children if id(c) not in keep]
        self.work.children = children
        for widget in old:
            if widget not in children:
                close_tree(widget)

    # -- resume ------------------------------------------------------------------------------
    def pending(self) -> list[EntryView]:
        return [card.view for card in self.cards if not card.view.final]

    def resume_pending(self) -> concurrent.futures.Future[None] | None:
        """Follow every in-flight entry to its end through the client, then refresh the cards.

        Runs on the runner loop; in a plain script this waits until they have finished.
        """
        todo = self.pending()
        if not todo:
            return None
        self._resume_task = _loop.spawn(self._resume_all(todo))
        if _loop.running_loop() is None:
            _loop.block(self._resume_task, RESUME_TIMEOUT + 10)
        return self._resume_task

    async def _resume_all(self, views: list[EntryView]) -> None:
        await asyncio.gather(*(self._resume_one(v) for v in views))
        self.refresh()

    async def _resume_one(self, view: EntryView) -> Run:
        client = self.backend.client
        run = Run(endpoint=view.endpoint, arguments=dict(view.arguments), state="queued")
        run.request_id = view.request_id
        self.resumed.append(run)
        try:
            handle = client.resume(view.raw if view.raw is not None else view.request_id)
            if inspect.isawaitable(handle):
                handle = await handle
        except Exception as exc:  # unknown or expired request: record why on the run
            run.state, run.error = "failed", exc
            return run
        await drive(run, client, handle=handle, timeout=RESUME_TIMEOUT)
        if run.state == "failed" and _gone_local_server(view, run.error):
            _record_gone(view)
        return run

    async def wait(self, timeout: float | None = None) -> History:
        """``await history.wait()``: until resumed runs have finished."""
        if self._resume_task is not None:
            await _loop.wait_for(self._resume_task, timeout)
        return self


def _gone_local_server(view: EntryView, error: BaseException | None) -> bool:
    """The run was sent to a local server (loopback) that no longer answers: it never will."""
    base = str(getattr(view.raw, "base", "") or "")
    host = urlsplit(base).hostname or ""
    return host in {"127.0.0.1", "localhost", "::1"} and "ConnectError" in str(error)


def _record_gone(view: EntryView) -> None:
    """Mark the journal entry failed so that opening the history does not retry it forever."""
    from falwidgets.client import mark_journal

    mark_journal(
        view.request_id,
        "FAILED",
        error="the local server that ran this request is gone (its kernel ended)",
        error_type="server_gone",
    )


def history(
    app: App | None = None,
    *,
    client: Any = None,
    limit: int = 50,
    endpoint: str | None = None,
    resume: bool = True,
) -> History:
    """Past runs from the journal as cards (newest first); resumes runs left in flight.

    Pass ``app`` to load past inputs into that app's form instead of a new one.
    """
    return History(app=app, client=client, limit=limit, endpoint=endpoint, resume=resume)
