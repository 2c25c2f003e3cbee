"""Past runs as cards: thumbnail, endpoint, status, time; load, rerun, compare two side by side.

The journal (client layer) is the source of truth. Opening the history resumes runs that were in
flight when a kernel died: their journal entries have no final state, so each is followed again
through the client, which records the outcome, and its card is refreshed (the policy is in
``_resume``; the cards' HTML in ``_cards``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import threading
from typing import TYPE_CHECKING, Any

import ipywidgets as w

from falwidgets.previews import esc
from falwidgets.runner import _loop
from falwidgets.runner._app import App
from falwidgets.runner._backend import Backend, backend_for
from falwidgets.runner._cards import UPLOAD_AGAIN, Card, rerun_blocker, varying_keys
from falwidgets.runner._diff import diff_html
from falwidgets.runner._entry import EntryView, without_omitted
from falwidgets.runner._errors import describe
from falwidgets.runner._render import close_tree, render_output
from falwidgets.runner._resume import (
    RESUME_TIMEOUT,
    client_for,
    client_origins,
    not_resumed_note,
    resumable,
    resume_one,
)
from falwidgets.runner._run import Run

if TYPE_CHECKING:
    from falwidgets.client import AsyncClient

LIST_HEIGHT = "520px"  # about four cards; more scroll inside the list
FOLLOW_POLL = 0.1  # seconds between looks for a rerun's request id (its card appears then)


def read_journal(limit: int | None = None, endpoint: str | None = None) -> list[EntryView]:
    """Journal entries, newest first, as :class:`EntryView` (optionally for one endpoint)."""
    from falwidgets.client import journal

    return [EntryView.of(entry) for entry in journal(limit=limit, endpoint=endpoint)]


class History(w.VBox):
    """Cards of past runs plus a work area where loaded runs and comparisons appear.

    Running, the same on ``App``, ``Sweep`` and ``History``: ``run()`` blocks and returns the
    result and ``await arun()`` is its twin, but a history starts no work of its own (so it has
    neither; :meth:`rerun` starts a run in an app); ``wait()`` blocks until the work in flight
    (resumed runs, followed reruns) has finished and ``await wait_async()`` is its twin; both
    return the history.

    The client is the one passed, else the app's, else the kernel's shared one; :meth:`close`
    never closes it.
    """

    def __init__(
        self,
        *,
        app: App | None = None,
        client: AsyncClient | None = None,
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
        # the work area's slots, shown in this order: a message, the Load/Rerun app, a comparison
        self._slots: dict[str, w.Widget | None] = {"message": None, "app": None, "compare": None}
        self._followers: list[concurrent.futures.Future[None]] = []
        self.resumed: list[Run] = []
        self._resume_task: concurrent.futures.Future[None] | None = None
        # request id -> a line for its card, e.g. "recorded on another host: not resumed"
        self.notes: dict[str, str] = {}
        # refresh() runs on the kernel thread (button, constructor) and the runner thread
        # (followers, resume): unserialised, both would build cards for the same new runs
        self._refresh_lock = threading.RLock()
        self._closed = False

        self.header = w.HTML()
        self.refresh_button = w.Button(description="Refresh", icon="refresh")
        self.refresh_button.on_click(lambda _b: self.refresh())
        # the list scrolls inside a fixed height, so the work area (above it) stays next to the
        # buttons that fill it however many runs there are
        self.list = w.VBox([], layout={"max_height": LIST_HEIGHT, "overflow": "auto"})
        self.list.add_class("fw-history-list")
        self.work = w.VBox([])
        self.work.add_class("fw-history-work")
        super().__init__([w.HBox([self.header, self.refresh_button]), self.work, self.list])
        self.add_class("fw-history")
        self.refresh()
        if resume:
            self.resume_pending()

    @property
    def backend(self) -> Backend:
        """Where resumes go: the client passed, else the app's, else the kernel's default."""
        if self._backend is None:
            shared = next(iter(self.apps.values()), None)
            if self._client is None and shared is not None:
                self._backend = shared.backend
            else:
                self._backend = backend_for(self._client)
        return self._backend

    def __repr__(self) -> str:
        return f"<History: {len(self.cards)} runs, {len(self.pending())} in flight>"

    @property
    def entries(self) -> list[EntryView]:
        return [card.view for card in self.cards]

    # -- listing -----------------------------------------------------------------------------
    def refresh(self) -> None:
        """Re-read the journal and update the cards (keeps nothing stale on screen).

        Cards of runs already listed are updated in place, so Compare ticks survive a refresh.
        """
        with self._refresh_lock:
            if self._closed:  # a follower finishing after close() must not build cards
                return
            views = read_journal(self.limit, self.endpoint)
            varying = varying_keys(views)
            existing = {card.view.request_id: card for card in self.cards}
            cards = []
            for view in views:
                card = existing.pop(view.request_id, None)
                keys, note = varying.get(view.endpoint, ()), self.notes.get(view.request_id)
                if card is None:
                    card = self._card(view, keys, note)
                else:
                    card.refresh(view, keys, note)
                cards.append(card)
            self.cards = cards
            self._selected = [c for c in self._selected if c in cards]
            self.list.children = cards
            for widget in existing.values():
                close_tree(widget)
            pending = sum(not v.final for v in views)
            extra = f" · {pending} in flight" if pending else ""
            self.header.value = f'<b class="fw-history-count">{len(views)} runs</b>{esc(extra)}'

    def _card(
        self, view: EntryView, varying: tuple[str, ...] = (), note: str | None = None
    ) -> Card:
        card = Card(view, varying, note)
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
            self._put("message", message)

    # -- load / rerun ------------------------------------------------------------------------
    def app_for(self, endpoint: str) -> App:
        """The app that loads and reruns runs of ``endpoint`` (one per endpoint, shown below)."""
        found = self.apps.get(endpoint)
        if found is None:
            client = self._client if self._client is not None else self.backend.client
            found = App(endpoint, client=client)
            self.apps[endpoint] = found
            self._own_apps.add(endpoint)
        self._put("message", None)
        if endpoint in self._own_apps:
            self._put("app", found)
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
        run = self.load(view).submit(dict(view.arguments))
        self._follow(run)
        return run

    def _follow(self, run: Run) -> None:
        """The rerun's card appears as soon as it has a request id (the client journals it on
        submit), and is brought up to date when it finishes."""
        if run.done:
            self.refresh()
            return
        if self._closed:
            return
        self._followers.append(_loop.spawn(self._follow_run(run)))

    async def _follow_run(self, run: Run) -> None:
        deadline = asyncio.get_running_loop().time() + RESUME_TIMEOUT
        while run.request_id is None and not run.done:
            if asyncio.get_running_loop().time() > deadline:
                return
            await asyncio.sleep(FOLLOW_POLL)
        self.refresh()
        if run.task is not None:
            with contextlib.suppress(Exception):
                await _loop.wait_for(run.task, RESUME_TIMEOUT)
        self.refresh()

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
        self._put("compare", view)
        return view

    def _put(self, slot: str, widget: w.Widget | None) -> None:
        """Show ``widget`` in one slot of the work area; the other slots stay (a Load or Rerun
        keeps an open comparison). What it replaces is closed, unless it is an app or a view
        handed to the caller."""
        old = self._slots.get(slot)
        self._slots[slot] = widget
        self.work.children = [v for v in self._slots.values() if v is not None]
        keep = {id(a) for a in self.apps.values()} | self._handed_out
        if old is not None and old is not widget and id(old) not in keep:
            close_tree(old)

    # -- resume ------------------------------------------------------------------------------
    def pending(self) -> list[EntryView]:
        return [card.view for card in self.cards if not card.view.final]

    def resume_pending(self) -> concurrent.futures.Future[None] | None:
        """Follow every in-flight entry to its end through the client, then refresh the cards.

        Runs on the runner loop; in a plain script this waits until they have finished.
        """
        pending = self.pending()
        origins = client_origins(self.backend.client)
        todo = [view for view in pending if resumable(view, origins)]
        for view in pending:
            if view not in todo:
                self.notes[view.request_id] = not_resumed_note(view)
        if len(todo) < len(pending):  # show the notes
            self.refresh()
        if not todo or self._closed:
            return None
        self._resume_task = _loop.spawn(self._resume_all(todo))
        if _loop.running_loop() is None:
            _loop.block(self._resume_task, RESUME_TIMEOUT + 10)
        return self._resume_task

    async def _resume_all(self, views: list[EntryView]) -> None:
        client = self.backend.client
        track = self.resumed.append
        await asyncio.gather(*(resume_one(v, client_for(v, client), track) for v in views))
        self.refresh()

    def _in_flight(self) -> list[concurrent.futures.Future[Any]]:
        futures = [*self._followers, self._resume_task]
        return [f for f in futures if f is not None and not f.done()]

    async def wait_async(self, timeout: float | None = None) -> History:
        """``await history.wait_async()``: until resumed runs and followed reruns have finished."""
        waits = (_loop.wait_for(f) for f in self._in_flight())
        await asyncio.wait_for(asyncio.gather(*waits, return_exceptions=True), timeout)
        return self

    def wait(self, timeout: float | None = None) -> History:
        """Block until resumed runs and followed reruns have finished (``TimeoutError`` after
        ``timeout`` seconds; the work itself keeps going)."""
        _loop.wait_all(self._in_flight(), timeout)
        return self

    def close(self) -> None:
        """Stop following reruns and resumes, close the apps the history made and every card.

        The user's own app (passed as ``app``) and views handed out by :meth:`compare` stay open.
        Once closed, refresh() does nothing, so late followers cannot build new cards. The client
        is the kernel's shared one (or yours): it stays open.
        """
        if not hasattr(self, "_closed"):  # __init__ failed before any state existed
            super().close()
            return
        with self._refresh_lock:
            self._closed = True
        for future in [*self._followers, self._resume_task]:
            if future is not None:
                future.cancel()
        for name in self._own_apps:
            self.apps[name].close()
        keep = {id(a) for a in self.apps.values()} | self._handed_out
        for widget in [*self._slots.values(), *self.cards, *self.children]:
            if widget is not None:
                close_tree(widget, keep)
        super().close()


def history(
    app: App | None = None,
    *,
    client: AsyncClient | None = None,
    limit: int = 50,
    endpoint: str | None = None,
    resume: bool = True,
) -> History:
    """Past runs from the journal as cards (newest first); resumes runs left in flight.

    Pass ``app`` to load past inputs into that app's form instead of a new one.
    """
    return History(app=app, client=client, limit=limit, endpoint=endpoint, resume=resume)
