"""Past runs as cards: thumbnail, endpoint, status, time; load, rerun, compare two side by side.

The journal (client layer) is the source of truth. Opening the history resumes runs that were in
flight when a kernel died: their journal entries have no final state, so each is followed again
through the client, which records the outcome, and its card is refreshed.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import inspect
import json
import threading
from typing import Any
from urllib.parse import urlsplit

import ipywidgets as w

from falwidgets.client._journal import AMBIGUOUS
from falwidgets.runner import _loop
from falwidgets.runner._app import App, close_tree, render_output
from falwidgets.runner._backend import Backend, backend_for
from falwidgets.runner._diff import diff_html
from falwidgets.runner._entry import EntryView, safe_src, without_omitted
from falwidgets.runner._errors import describe
from falwidgets.runner._panes import esc
from falwidgets.runner._run import Run, drive

RESUME_TIMEOUT = 300.0
LIST_HEIGHT = "520px"  # about four cards; more scroll inside the list
FOLLOW_POLL = 0.1  # seconds between looks for a rerun's request id (its card appears then)
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

    def __init__(
        self, view: EntryView, varying: tuple[str, ...] = (), note: str | None = None
    ) -> None:
        self.view = view
        self.thumb = w.HTML(layout={"flex": "0 0 100px"})
        self.facts = w.HTML(layout={"flex": "1 1 auto", "min_width": "0"})
        self.load_button = w.Button(description="Load", icon="upload", layout={"width": "96px"})
        self.rerun_button = w.Button(description="Rerun", icon="redo", layout={"width": "96px"})
        self.compare_box = w.Checkbox(description="Compare", indent=False)
        self.compare_box.layout.width = "96px"
        self.load_button.add_class("fw-load")
        self.rerun_button.add_class("fw-rerun")
        self.compare_box.add_class("fw-compare")
        # a fixed-width column so every card's buttons line up whatever the facts say
        actions = w.VBox(
            [self.load_button, self.rerun_button, self.compare_box],
            layout={"flex": "0 0 104px", "width": "104px"},
        )
        actions.add_class("fw-card-actions")
        super().__init__([self.thumb, self.facts, actions])
        self.add_class("fw-card")
        self.layout.border = "1px solid #ddd"
        self.layout.padding = "4px"
        self.layout.margin = "2px 0"
        self.layout.flex = "0 0 auto"  # in the scrolling list, cards scroll; they never shrink
        self.refresh(view, varying, note)

    def refresh(
        self, view: EntryView, varying: tuple[str, ...] = (), note: str | None = None
    ) -> None:
        """Show ``view``; ``note`` is a line the history adds (say, why it was not resumed)."""
        self.view = view
        omitted = view.omitted
        self.rerun_button.disabled = bool(omitted)
        self.rerun_button.tooltip = (
            f"Cannot rerun: {rerun_blocker(omitted)}" if omitted else "Run these inputs again"
        )
        self.thumb.value = thumb_html(view)
        colour = _STATUS_COLOURS.get(view.status, "#555")
        inference = view.metrics.get("inference_time")
        timing = f" · {inference:.2f} s" if isinstance(inference, (int, float)) else ""
        error = f'<div class="fw-card-error">{esc(view.error[:200])}</div>' if view.error else ""
        if note:
            error += f'<div class="fw-card-note" style="color:#8a6d00">{esc(note)}</div>'
        rid = view.request_id
        self.facts.value = (
            f'<div class="fw-card-facts" style="padding:0 8px;overflow:hidden">'
            f"<div><b>{esc(view.endpoint)}</b></div>"
            f"{inputs_html(view.arguments, varying)}"
            f'<div><span class="fw-card-status" style="color:{colour}">{esc(view.status)}</span>'
            f"{esc(timing)} · {esc(view.when_text())} · "
            f'<code class="fw-request-id" title="{esc(rid)}" style="font-size:11px;color:#888">'
            f"{esc(rid[:8])}</code></div>{error}</div>"
        )


PROMPT_KEYS = ("prompt", "text", "text_prompt", "query", "input")
EXCERPT = 90  # characters of a prompt shown on a card
_KIND_ICONS = {
    "audio": ("♪", "audio"),
    "model3d": ("◆", "3D model"),
    "video": ("▶", "video"),
    "json": ("{ }", "data"),
    "failed": ("✕", "no output"),
}
_VIDEO_EXT = (".mp4", ".webm", ".mov", ".m4v")
_AUDIO_EXT = (".mp3", ".wav", ".ogg", ".flac", ".m4a", ".aac")
_MODEL_EXT = (".glb", ".gltf", ".obj", ".ply", ".stl", ".fbx", ".usdz")
_THUMB_BOX = "width:96px;height:96px;border-radius:4px"


def first_media(output: Any, depth: int = 0) -> tuple[str, str] | None:
    """``(kind, url)`` of the first video, audio or 3D file in an output (no image found)."""
    if depth > 6:
        return None
    if isinstance(output, dict):
        url, ctype = output.get("url"), str(output.get("content_type") or "")
        if isinstance(url, str):
            path = url.split("?", 1)[0].lower()
            for kind, ext in (("video", _VIDEO_EXT), ("audio", _AUDIO_EXT)):
                if ctype.startswith(kind + "/") or path.endswith(ext):
                    return kind, url
            if ctype.startswith("model/") or path.endswith(_MODEL_EXT):
                return "model3d", url
        for value in output.values():
            found = first_media(value, depth + 1)
            if found:
                return found
    elif isinstance(output, list):
        for item in output[:8]:
            found = first_media(item, depth + 1)
            if found:
                return found
    return None


def thumb_html(view: EntryView) -> str:
    """An image thumbnail, a video's first frame, or an icon naming the kind of output: never a
    blank grey square that tells one card from another by nothing."""
    src = view.thumbnail
    if src and safe_src(src):
        return (
            f'<img class="fw-thumb" src="{esc(src)}" loading="lazy" '
            f'style="{_THUMB_BOX};object-fit:cover">'
        )
    media = first_media(view.output)
    if media and media[0] == "video" and safe_src(media[1]):
        return (  # preload=metadata: the browser fetches enough to draw the first frame
            f'<video class="fw-thumb fw-thumb-video" src="{esc(media[1])}#t=0.1" '
            f'preload="metadata" muted playsinline style="{_THUMB_BOX};object-fit:cover;'
            'background:#222"></video>'
        )
    kind = media[0] if media else ("json" if view.output is not None else "failed")
    icon, label = _KIND_ICONS[kind]
    return (
        f'<div class="fw-thumb fw-thumb-icon fw-thumb-{kind}" title="{label}" '
        f'style="{_THUMB_BOX};background:#eef1f5;color:#456;display:flex;flex-direction:column;'
        'align-items:center;justify-content:center;font-size:28px">'
        f'{icon}<span style="font-size:11px">{label}</span></div>'
    )


def prompt_of(arguments: dict[str, Any]) -> str | None:
    for key in PROMPT_KEYS:
        value = arguments.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 24 else text[:23] + "…"


def inputs_html(arguments: dict[str, Any], varying: tuple[str, ...]) -> str:
    """The card's key inputs: a prompt excerpt, then the parameters that differ between runs."""
    prompt = prompt_of(arguments)
    parts = []
    if prompt:
        excerpt = prompt if len(prompt) <= EXCERPT else prompt[: EXCERPT - 1] + "…"
        parts.append(
            f'<div class="fw-card-prompt" title="{esc(prompt)}" style="white-space:nowrap;'
            f'overflow:hidden;text-overflow:ellipsis;font-style:italic">“{esc(excerpt)}”</div>'
        )
    chips = [
        f'<span class="fw-card-param">{esc(key)}=<b>{esc(_short(arguments[key]))}</b></span>'
        for key in varying
        if key in arguments
    ]
    if chips:
        joined = " · ".join(chips)
        parts.append(f'<div class="fw-card-params" style="font-size:12px">{joined}</div>')
    return "".join(parts)


def varying_keys(views: list[EntryView]) -> dict[str, tuple[str, ...]]:
    """Per endpoint, the scalar inputs whose values differ between its runs (seed, guidance…):
    what tells one card from the next. Prompts are shown anyway, so they are left out."""
    seen: dict[str, dict[str, set[str]]] = {}
    for view in views:
        per = seen.setdefault(view.endpoint, {})
        for key, value in view.arguments.items():
            if key in PROMPT_KEYS or isinstance(value, (dict, list)):
                continue
            per.setdefault(key, set()).add(json.dumps(value, default=str))
    out: dict[str, tuple[str, ...]] = {}
    for endpoint, per in seen.items():
        runs = [v for v in views if v.endpoint == endpoint]
        keys = [
            k
            for k, values in per.items()
            if len(values) > 1 or sum(k in v.arguments for v in runs) < len(runs)
        ]
        out[endpoint] = tuple(keys[:6])
    return out


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
        remote: bool = False,
    ) -> None:
        self.limit, self.endpoint = limit, endpoint
        self._remote_views: list[EntryView] = []  # fal's history minus the journal (_remote)
        self.remote_error: str | None = None
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
        self.refresh_button.on_click(lambda _b: self._refresh_all())
        # runs fal lists that the journal does not (Playground, other machines): off by default,
        # since listing them asks fal's platform API
        self.remote_toggle = w.ToggleButton(
            value=False,
            description="fal history",
            icon="cloud",
            tooltip="Also show runs fal knows about that this machine's journal does not",
        )
        self.remote_toggle.add_class("fw-history-remote")
        # the list scrolls inside a fixed height, so the work area (above it) stays next to the
        # buttons that fill it however many runs there are
        self.list = w.VBox([], layout={"max_height": LIST_HEIGHT, "overflow": "auto"})
        self.list.add_class("fw-history-list")
        self.work = w.VBox([])
        self.work.add_class("fw-history-work")
        bar = w.HBox([self.header, self.refresh_button, self.remote_toggle])
        super().__init__([bar, self.work, self.list])
        self.add_class("fw-history")
        self.remote_toggle.value = remote
        self.remote_toggle.observe(lambda ch: self._set_remote(ch["new"]), names="value")
        if remote:
            self.refresh_remote()
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
        """Re-read the journal and update the cards (keeps nothing stale on screen).

        Cards of runs already listed are updated in place, so Compare ticks survive a refresh.
        """
        with self._refresh_lock:
            if self._closed:  # a follower finishing after close() must not build cards
                return
            views = read_journal(self.limit, self.endpoint)
            if self.remote_toggle.value and self._remote_views:
                mine = {v.request_id for v in views}
                extra = [v for v in self._remote_views if v.request_id not in mine]
                views = sorted([*views, *extra], key=_newest_first)
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
            pending = sum(not v.final and not _is_remote(v) for v in views)
            extra = f" · {pending} in flight" if pending else ""
            if self.remote_toggle.value and self.remote_error:
                extra += f" · {self.remote_error}"
            self.header.value = f'<b class="fw-history-count">{len(views)} runs</b>{esc(extra)}'

    def refresh_remote(self) -> None:
        """Ask fal's request history for runs the journal does not have (see ``_remote``);
        shown while the toggle is on. A failure is shown in the header, never raised."""
        from falwidgets.runner._remote import remote_entries

        endpoints = [self.endpoint] if self.endpoint else None
        if endpoints is None:
            endpoints = sorted({v.endpoint for v in read_journal()} | set(self.apps))
        try:
            found = remote_entries(self.backend.client, endpoints=endpoints, limit=self.limit)
        except Exception as exc:  # no platform API there, no key, a timeout: say so
            title, detail, _ = describe(exc)
            self.remote_error = f"fal history unavailable: {title}: {detail}"[:300]
            return
        self.remote_error = None
        self._remote_views = [EntryView.of(entry) for entry in found]
        for view in self._remote_views:
            self.notes[view.request_id] = "from fal's request history (not in this journal)"

    def _set_remote(self, on: bool) -> None:
        if on:
            self.refresh_remote()
        self.refresh()

    def _refresh_all(self) -> None:
        if self.remote_toggle.value:
            self.refresh_remote()
        self.refresh()

    @property
    def remote_entries(self) -> list[EntryView]:
        """The cards' views that came from fal's history (with the toggle on)."""
        return [c.view for c in self.cards if _is_remote(c.view)]

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
        """Journalled runs without an end (fal-history cards are never followed)."""
        return [c.view for c in self.cards if not c.view.final and not _is_remote(c.view)]

    def resume_pending(self) -> concurrent.futures.Future[None] | None:
        """Follow every in-flight entry to its end through the client, then refresh the cards.

        Runs on the runner loop; in a plain script this waits until they have finished.
        """
        pending = self.pending()
        todo = []
        for view in pending:
            if self._resumable(view):
                todo.append(view)
            else:
                where = _origin(_base(view)) or "an unknown host"
                self.notes[view.request_id] = (
                    f"recorded on {where}, not where runs go now: not resumed automatically "
                    "(your key is only sent to the host runs go to)"
                )
        if len(todo) < len(pending):  # show the notes
            self.refresh()
        if not todo or self._closed:
            return None
        self._resume_task = _loop.spawn(self._resume_all(todo))
        if _loop.running_loop() is None:
            _loop.block(self._resume_task, RESUME_TIMEOUT + 10)
        return self._resume_task

    async def _resume_all(self, views: list[EntryView]) -> None:
        await asyncio.gather(*(self._resume_one(v) for v in views))
        self.refresh()

    def _resumable(self, view: EntryView) -> bool:
        """Whether to follow ``view`` automatically: only when it was recorded against the host
        runs go to now (the client's queue or proxy origin). Resuming sends this client's key to
        the stored URLs, so an entry recorded against another host is never contacted. A
        loopback entry (a local server of an earlier kernel) is the exception: it is checked
        with a key-less client (see ``_client_for``) so a dead one is marked gone."""
        origin = _origin(_base(view))
        return origin is not None and (origin in self._origins() or _loopback(origin))

    def _origins(self) -> set[str]:
        client = self.backend.client
        hosts = getattr(client, "hosts", None)
        urls = (getattr(hosts, "queue", None), getattr(client, "proxy_origin", None))
        return {o for o in map(_origin, urls) if o is not None}

    def _client_for(self, view: EntryView) -> Any:
        """The backend's client, or for a loopback entry of another server a fresh key-less one
        (a key from the environment is only ever sent to fal hosts; none is passed here)."""
        if _origin(_base(view)) in self._origins():
            return self.backend.client
        from falwidgets.client import AsyncClient, RetryPolicy

        if view.status == AMBIGUOUS:  # looked up in that server's own request history
            return AsyncClient(base_url=_base(view), retry=RetryPolicy(max_attempts=1))
        return AsyncClient(retry=RetryPolicy(max_attempts=1))

    async def _resume_one(self, view: EntryView) -> Run:
        client = self._client_for(view)
        run = Run(endpoint=view.endpoint, arguments=dict(view.arguments), state="queued")
        run.request_id = view.request_id
        self.resumed.append(run)
        try:
            if view.status == AMBIGUOUS:  # a lost submit answer: look for it in fal's history
                handle = client.recover(view.raw if view.raw is not None else view.request_id)
            else:
                handle = client.resume(view.raw if view.raw is not None else view.request_id)
            if inspect.isawaitable(handle):
                handle = await handle
        except Exception as exc:  # unknown or expired request: record why on the run
            run.state, run.error = "failed", exc
        else:
            await drive(run, client, handle=handle, timeout=RESUME_TIMEOUT)
        if run.state == "failed" and _gone_local_server(view, run.error):
            _record_gone(view)
        elif run.state == "failed" and _definitive(run.error):
            _record_failed(view, run.error)
        return run

    async def wait(self, timeout: float | None = None) -> History:
        """``await history.wait()``: until resumed runs have finished."""
        if self._resume_task is not None:
            await _loop.wait_for(self._resume_task, timeout)
        return self

    def close(self) -> None:
        """Stop following reruns and resumes, close the apps the history made and every card.

        The user's own app (passed as ``app``) and views handed out by :meth:`compare` stay open.
        Once closed, refresh() does nothing, so late followers cannot build new cards.
        """
        with getattr(self, "_refresh_lock", threading.RLock()):
            self._closed = True
        for future in [*getattr(self, "_followers", ()), getattr(self, "_resume_task", None)]:
            if future is not None:
                future.cancel()
        for name in getattr(self, "_own_apps", ()):
            self.apps[name].close()
        keep = {id(a) for a in getattr(self, "apps", {}).values()}
        keep |= getattr(self, "_handed_out", set())
        for widget in [*getattr(self, "_slots", {}).values(), *getattr(self, "cards", ())]:
            if widget is not None and id(widget) not in keep:
                close_tree(widget)
        for widget in list(getattr(self, "children", ())):
            if id(widget) not in keep:
                _close_shell(widget, keep)
        super().close()


def _is_remote(view: EntryView) -> bool:
    return bool(getattr(view.raw, "remote", False))


def _newest_first(view: EntryView) -> float:
    return -(view.created.timestamp() if view.created else 0.0)


def _close_shell(widget: w.Widget, keep: set[int]) -> None:
    """Close ``widget`` and its children except those in ``keep`` (the user's own widgets)."""
    for child in getattr(widget, "children", ()) or ():
        if id(child) not in keep:
            _close_shell(child, keep)
    widget.close()


def _base(view: EntryView) -> str:
    """The queue base URL the entry was recorded against (``""`` when unknown)."""
    return str(_get_attr(view.raw, "base") or "")


def _get_attr(entry: Any, name: str) -> Any:
    return entry.get(name) if isinstance(entry, dict) else getattr(entry, name, None)


def _origin(url: str | None) -> str | None:
    """``scheme://host:port`` of ``url`` (default ports filled in), or None without a host."""
    if not url:
        return None
    try:
        parts = urlsplit(str(url))
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    port = port or {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{parts.hostname.lower()}:{port}"


def _loopback(origin: str) -> bool:
    host = urlsplit(origin).hostname or ""
    return host in {"127.0.0.1", "localhost", "::1"}


def _definitive(error: BaseException | None) -> bool:
    """A resume error that retrying cannot fix: the request is unknown (404), the key is refused
    (401/403) or another 4xx other than a timeout or rate limit."""
    from falwidgets.client import AuthError, FalError, MissingCredentials, NotFound

    if isinstance(error, (NotFound, AuthError, MissingCredentials)):
        return True
    code = getattr(error, "status_code", None)
    return (
        isinstance(error, FalError)
        and isinstance(code, int)
        and 400 <= code < 500
        and (code not in (408, 429))
    )


def _record_failed(view: EntryView, error: BaseException | None) -> None:
    """Mark the entry FAILED with the resume's error: shown on its card, and not retried on
    every open of the history (like :func:`_record_gone`)."""
    from falwidgets.client import mark_journal
    from falwidgets.client._journal import default_journal

    entry = default_journal().get(view.request_id)
    if entry is not None and entry.done:  # the client recorded the job's own outcome: keep it
        return
    title, detail, _ = describe(error) if error is not None else ("Failed", "", None)
    mark_journal(
        view.request_id,
        "FAILED",
        error=f"could not resume: {title}: {detail}"[:2000],
        error_type=str(getattr(error, "error_type", None) or type(error).__name__),
    )


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
    remote: bool = False,
) -> History:
    """Past runs from the journal as cards (newest first); resumes runs left in flight.

    Pass ``app`` to load past inputs into that app's form instead of a new one. ``remote=True``
    (the "fal history" toggle) adds the runs fal's request history lists that the journal does
    not (Playground runs, other machines), marked as such; they load and preview like the rest.
    """
    return History(
        app=app, client=client, limit=limit, endpoint=endpoint, resume=resume, remote=remote
    )
