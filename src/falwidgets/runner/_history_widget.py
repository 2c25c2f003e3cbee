"""`History`: past runs as one anywidget: a virtualized, searchable list fed a page at a time.

The journal (client layer) is the source of truth. The browser asks for the rows it is about to
show (``{"type": "rows", offset, limit, query}``) and gets them as a custom message, so opening a
history of 10,000 runs sends one page, not 10,000 rows, and a saved notebook keeps none of them.
Load, Rerun and Compare answer in a panel right under the row that was clicked (the ``detail``
trait): "Loaded run 066a71a2 (12:31)" with the form, the rerun's status and result, or a
two-column comparison with the differing inputs highlighted.

Opening the history still resumes runs left in flight by a dead kernel: the resume policy
(only hosts runs go to now, a gone local server marked failed) is `HistoryResume`
(``_history.py``).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import json
import threading
import time
from typing import Any

import anywidget
import traitlets

from falwidgets._static import bundle
from falwidgets.previews import describe, describe_error, safe_url
from falwidgets.previews._widget import shared_layout
from falwidgets.runner import _history as _resume  # the resume policy and journal marks
from falwidgets.runner import _loop
from falwidgets.runner._app import App, app
from falwidgets.runner._backend import Backend
from falwidgets.runner._diff import diff as _diff
from falwidgets.runner._diff import rows as input_rows
from falwidgets.runner._entry import EntryView, without_omitted
from falwidgets.runner._errors import describe as describe_exc
from falwidgets.runner._history_costs import HistoryCosts
from falwidgets.runner._run import Run

__all__ = ["Comparison", "History", "compare_data", "history", "row_of"]

PAGE = 50  # rows per page the browser asks for
MAX_PAGE = 500
RESUME_TIMEOUT = _resume.RESUME_TIMEOUT
THUMB_KINDS = {"video": "▶", "audio": "♪", "model3d": "◆", "json": "{ }", "failed": "✕"}


def _short(value: Any, width: int = 28) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= width else text[: width - 1] + "…"


def row_of(view: EntryView, varying: tuple[str, ...] = (), note: str | None = None) -> dict:
    """What one history row shows: endpoint, time, status, duration, thumbnail, prompt, the
    parameters that tell it from its neighbours, and why it cannot be rerun (if it cannot)."""
    raw = view.raw
    created = getattr(raw, "created", None)
    finished = getattr(raw, "finished", None)
    duration = (finished - created) if isinstance(finished, float) and created else None
    inference = view.metrics.get("inference_time")
    thumb: dict[str, Any]
    if view.thumbnail:
        thumb = {"kind": "image", "url": view.thumbnail}
    else:
        media = _resume.first_media(view.output)
        if media and media[0] == "video" and safe_url(media[1]):
            thumb = {"kind": "video", "url": safe_url(media[1])}
        else:
            kind = media[0] if media else ("json" if view.output is not None else "failed")
            thumb = {"kind": kind, "url": None, "icon": THUMB_KINDS.get(kind, "?")}
    params = [f"{key}={_short(view.arguments[key])}" for key in varying if key in view.arguments]
    omitted = view.omitted
    return {
        "id": view.request_id,
        "endpoint": view.endpoint,
        "status": view.status,
        "final": view.final,
        "created": created if isinstance(created, (int, float)) else None,
        "when": view.when_text(),
        "duration": duration,
        "inference": inference if isinstance(inference, (int, float)) else None,
        "thumb": thumb,
        "prompt": _resume.prompt_of(view.arguments) or "",
        "params": params,
        "error": (view.error or "")[:300],
        "note": note or "",
        "rerun_blocked": _resume.rerun_blocker(omitted) if omitted else "",
    }


def compare_data(left: EntryView, right: EntryView) -> dict[str, Any]:
    """A two-column comparison: every input path with both values, ``differs`` marking the rows
    to highlight, and each run's header and result blocks."""
    rows = [
        {"path": path, "a": _cell(va), "b": _cell(vb), "differs": differs}
        for path, va, vb, differs in input_rows(left.arguments, right.arguments)
    ]
    rows.sort(key=lambda r: not r["differs"])  # what differs first, the rest after

    def column(view: EntryView) -> dict[str, Any]:
        blocks = (
            describe(view.output)
            if view.output is not None
            else [describe_error("No output", view.error or view.status)]
        )
        return {**row_of(view), "blocks": blocks}

    return {
        "columns": [column(left), column(right)],
        "rows": rows,
        "same": not any(r["differs"] for r in rows),
    }


_ABSENT = _diff.ABSENT  # type: ignore[attr-defined]


def _cell(value: Any) -> str | None:
    if value is _ABSENT:
        return None  # "not set" in the browser
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 400 else text[:399] + "…"


def _created(view: EntryView) -> float:
    """When the run was made (seconds), for ordering journal and remote runs together."""
    return view.created.timestamp() if view.created is not None else 0.0


class Comparison(anywidget.AnyWidget):
    """Two runs side by side, returned by ``History.compare`` so a cell shows it where it runs."""

    _esm = bundle("history")
    _css = bundle("history", "css")
    mode = traitlets.Unicode("compare").tag(sync=True)
    compare = traitlets.Dict().tag(sync=True)

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(layout=shared_layout(), **kwargs)
        _ = self.add_class("fw-compare-view")


class History(HistoryCosts, _resume.HistoryResume, anywidget.AnyWidget):
    """Past runs, newest first; Load / Rerun / Compare answer under the row clicked.

    Running, the same on ``App``, ``Sweep`` and ``History``: ``run()`` blocks and returns the
    result and ``await arun()`` is its twin, but a history starts no work of its own (so it has
    neither; :meth:`rerun` starts a run in an app); ``wait()`` blocks until the work in flight
    (resumed runs, followed reruns) has finished and ``await wait_async()`` is its twin; both
    return the history.

    The client is the one passed, else the app's, else the kernel's shared one; :meth:`close`
    never closes it.
    """

    _esm = bundle("history")
    _css = bundle("history", "css")
    mode = traitlets.Unicode("list").tag(sync=True)
    total = traitlets.Int(0).tag(sync=True)  # all runs in the journal (for this endpoint)
    pending_count = traitlets.Int(0).tag(sync=True)
    # also list the runs fal's request history has and this machine's journal lacks (Playground,
    # other machines); off by default, since listing them asks fal's platform API
    remote = traitlets.Bool(False).tag(sync=True)
    remote_error = traitlets.Unicode("").tag(sync=True)
    version = traitlets.Int(0).tag(sync=True)  # bumped when rows changed: the browser re-asks
    detail = traitlets.Dict().tag(sync=True)  # the action panel: {"for": request id, ...}
    page_size = traitlets.Int(PAGE).tag(sync=True)
    # the app Load and Rerun fill: any callable like `app(endpoint, client=)` whose result has
    # .form.value / .form.show_errors / .submit; an anywidget app is drawn under the row in every
    # host, a stock ipywidgets one only in JupyterLab
    app_factory: Any = staticmethod(app)

    def __init__(
        self,
        *,
        app: App | None = None,
        client: Any = None,
        limit: int | None = None,
        endpoint: str | None = None,
        resume: bool = True,
        remote: bool = False,
    ) -> None:
        super().__init__(layout=shared_layout())
        self._remote_views: list[EntryView] = []  # fal's history minus the journal (_remote)
        self.limit, self.endpoint = limit, endpoint
        self._client = client
        self._backend: Backend | None = None
        self.apps: dict[str, App] = {}
        if app is not None and app.endpoint:
            self.apps[app.endpoint] = app
        self._own_apps: set[str] = set()
        self.resumed: list[Run] = []
        self.notes: dict[str, str] = {}
        self._resume_task: concurrent.futures.Future[None] | None = None
        self._followers: list[concurrent.futures.Future[None]] = []
        self._refresh_lock = threading.RLock()
        self._closed = False
        self._detail_widgets: list[Any] = []
        self._defaults_cache: dict[str, dict[str, Any] | None] = {}
        self.on_msg(self._on_msg)
        self.observe(lambda ch: self._set_remote(ch["new"]), names="remote")
        if remote:
            self.remote = True  # fetches them
        _ = self.add_class("fw-history")  # a hook for saved-notebook checks (JupyterLab only)
        self.refresh()
        if resume:
            self.resume_pending()

    def __repr__(self) -> str:
        return f"<History: {self.total} runs, {self.pending_count} in flight>"

    # -- data ----------------------------------------------------------------------------------
    def page(self, offset: int = 0, limit: int = PAGE, query: str = "") -> tuple[int, list[dict]]:
        """``(matching runs, rows)`` for one page of the list, newest first."""
        from falwidgets.client._journal import default_journal

        limit = max(0, min(int(limit), MAX_PAGE))
        if self.limit is not None:  # history(limit=N) shows the N newest runs only
            limit = max(0, min(limit, self.limit - offset))
        offset = max(0, int(offset))
        remote = self._remote_matching(query)
        if remote:  # merge fal's runs in by time: read the journal up to this page's end
            total, entries = default_journal().search(
                query, offset=0, limit=offset + limit, endpoint=self.endpoint
            )
            merged = sorted(
                [*(EntryView.of(e) for e in entries), *remote], key=lambda v: -_created(v)
            )
            total += len(remote)
            views = merged[offset : offset + limit]
        else:
            total, entries = default_journal().search(
                query, offset=offset, limit=limit, endpoint=self.endpoint
            )
            views = [EntryView.of(e) for e in entries]
        if self.limit is not None:
            total = min(total, self.limit)
        varying = _resume.varying_keys(views)
        rows = [
            row_of(v, self._shown_keys(v, varying), self.notes.get(v.request_id)) for v in views
        ]
        self._row_costs(rows, {v.request_id: v.arguments for v in views})  # _history_costs
        return total, rows

    def _defaults(self, endpoint: str) -> dict[str, Any] | None:
        """The endpoint's default inputs (bundled catalog), or None when it is not known."""
        if endpoint not in self._defaults_cache:
            try:
                from falwidgets.schema import load_endpoint

                self._defaults_cache[endpoint] = load_endpoint(endpoint).defaults()
            except Exception:  # not in the catalog (a user's app, a test endpoint)
                self._defaults_cache[endpoint] = None
        return self._defaults_cache[endpoint]

    def _shown_keys(self, view: EntryView, varying: dict[str, tuple[str, ...]]) -> tuple[str, ...]:
        """The parameters a row lists: those that differ from the endpoint's defaults, the same
        rule for every run of it (a rerun does not list every default); unknown endpoints fall
        back to what varies between the runs on the page."""
        defaults = self._defaults(view.endpoint)
        if defaults is None:
            return varying.get(view.endpoint, ())
        keys = [
            key
            for key, value in view.arguments.items()
            if key not in _resume.PROMPT_KEYS
            and not isinstance(value, (dict, list))
            and defaults.get(key, _ABSENT) != value
        ]
        return tuple(keys[:6])

    @property
    def rows(self) -> list[dict]:
        """The rows the list opens with (its first page), as the browser receives them."""
        return self.page(0, self.page_size)[1]

    @property
    def entries(self) -> list[EntryView]:
        """The first page of runs (``history(limit=...)`` many at most), newest first."""
        from falwidgets.client._journal import default_journal

        limit = self.limit if self.limit is not None else PAGE
        _, entries = default_journal().search("", limit=limit, endpoint=self.endpoint)
        views = [EntryView.of(e) for e in entries]
        if self._remote_views:
            views = sorted([*views, *self._remote_views], key=lambda v: -_created(v))[:limit]
        return views

    @property
    def remote_entries(self) -> list[EntryView]:
        """The runs listed from fal's request history (with ``remote`` on)."""
        return list(self._remote_views) if self.remote else []

    def refresh_remote(self) -> None:
        """Ask fal's request history for runs the journal does not have (see ``_remote``). A
        failure is shown (``remote_error``), never raised."""
        from falwidgets.client import journal
        from falwidgets.runner._remote import remote_entries

        endpoints = [self.endpoint] if self.endpoint else None
        if endpoints is None:
            endpoints = sorted({e.endpoint for e in journal()} | set(self.apps))
        try:
            found = remote_entries(
                self.backend.client, endpoints=endpoints, limit=self.limit or 200
            )
        except Exception as exc:  # no platform API there, no key, a timeout: say so
            title, detail, _ = describe_exc(exc)
            self.remote_error = f"fal history unavailable: {title}: {detail}"[:300]
            return
        self.remote_error = ""
        self._remote_views = [EntryView.of(entry) for entry in found]
        for view in self._remote_views:
            self.notes[view.request_id] = "from fal's request history (not in this journal)"

    def _set_remote(self, on: bool) -> None:
        if on:
            self.refresh_remote()
        else:
            self._remote_views = []
        self.refresh()

    def _remote_matching(self, query: str) -> list[EntryView]:
        words = str(query or "").lower().split()
        out = []
        for view in self.remote_entries:
            text = " ".join(
                (view.endpoint, view.request_id, view.status, json.dumps(view.arguments))
            ).lower()
            if all(w in text for w in words):
                out.append(view)
        return out

    def entry(self, ref: EntryView | int | str) -> EntryView:
        """A run by view, index in the newest-first list, or request id."""
        if isinstance(ref, EntryView):
            return ref
        from falwidgets.client._journal import default_journal

        if isinstance(ref, int):
            _, found = default_journal().search("", offset=ref, limit=1, endpoint=self.endpoint)
        else:
            one = default_journal().get(str(ref))
            found = [one] if one is not None else []
        if not found and not isinstance(ref, int):
            remote = next((v for v in self._remote_views if v.request_id == str(ref)), None)
            if remote is not None:
                return remote
        if not found:
            raise KeyError(f"no run {ref!r} in the history")
        return EntryView.of(found[0])

    def pending(self) -> list[EntryView]:
        from falwidgets.client import journal
        from falwidgets.client._journal import AMBIGUOUS

        # in flight, or a submit whose answer was lost (looked up in the server's history)
        found = [*journal(endpoint=self.endpoint, status="SUBMITTED")]
        found += journal(endpoint=self.endpoint, status=AMBIGUOUS)
        views = [EntryView.of(e) for e in found]
        return [v for v in views if not v.final]

    def refresh(self) -> None:
        """Re-count the runs and tell the browser to re-read the rows it shows."""
        with self._refresh_lock:
            if self._closed:
                return
            from falwidgets.client._journal import default_journal

            total, _ = default_journal().search("", limit=0, endpoint=self.endpoint)
            total += len(self.remote_entries)
            self.total = min(total, self.limit) if self.limit is not None else total
            self.pending_count = len(self.pending())
            self.version += 1
            self._recount_costs()  # the total of the runs' estimated costs (_history_costs)

    # -- browser messages ----------------------------------------------------------------------
    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        try:
            if kind == "rows":
                total, rows = self.page(
                    int(content.get("offset", 0)),
                    int(content.get("limit", PAGE)),
                    str(content.get("query", ""))[:200],
                )
                self.send(
                    {
                        "type": "rows",
                        "seq": content.get("seq"),
                        "offset": content.get("offset", 0),
                        "total": total,
                        "rows": rows,
                    }
                )
            elif kind == "load":
                self.load(str(content["id"]), here=True)
            elif kind == "rerun":
                self.rerun(str(content["id"]), here=True)
            elif kind == "compare":
                self._show_compare(str(content["a"]), str(content["b"]), at=str(content["at"]))
            elif kind == "refresh":
                self.refresh()
            elif kind == "close-detail":
                self._set_detail({})
        except Exception as exc:  # shown where the user clicked, never lost in a log
            title, detail, _ = describe_exc(exc)
            at = str(content.get("id") or content.get("at") or "")
            self._set_detail({"for": at, "kind": "message", "title": title, "text": detail})

    def _set_detail(self, detail: dict[str, Any], widgets: list[Any] | None = None) -> None:
        old, self._detail_widgets = self._detail_widgets, list(widgets or [])
        self.detail = detail
        keep = {id(a) for a in self.apps.values()}
        for widget in old:
            if id(widget) not in keep and widget not in self._detail_widgets:
                widget.close()

    # -- load / rerun --------------------------------------------------------------------------
    def app_for(self, endpoint: str) -> App:
        """The app that loads and reruns runs of ``endpoint`` (the one given, or one made here)."""
        found = self.apps.get(endpoint)
        if found is None:
            client = self._client if self._client is not None else self.backend.client
            found = self.app_factory(endpoint, client=client)
            self.apps[endpoint] = found
            self._own_apps.add(endpoint)
        return found

    def load(self, ref: EntryView | int | str, *, here: bool = False) -> App:
        """Put a past run's inputs back into a form and return its app.

        A click on Load (``here=True``) shows the form under the run's row; a call from code
        leaves the history as it is (the calling cell shows what it returns). Uploads that
        travelled as large data URIs were not kept by the journal: those fields are left empty
        and marked "upload again" (so Run refuses until they are filled).
        """
        view = self.entry(ref)
        target = self.app_for(view.endpoint)
        omitted = view.omitted
        target.form.value = without_omitted(view.arguments)
        if omitted:
            target.form.show_errors(
                [{"loc": [n], "msg": _resume.UPLOAD_AGAIN, "type": "upload_again"} for n in omitted]
            )
        if not here:
            return target
        title = f"Loaded run {view.request_id[:8]} ({view.when_text()})"
        if view.endpoint in self._own_apps:
            block = _widget_block(target)
            self._set_detail(
                {"for": view.request_id, "kind": "load", "title": title, "blocks": [block]},
                [target],
            )
        else:
            self._set_detail(
                {
                    "for": view.request_id,
                    "kind": "load",
                    "title": title,
                    "text": "into your app's form (its cell shows it)",
                }
            )
        return target

    def rerun(self, ref: EntryView | int | str, *, here: bool = False) -> Run:
        """Run a past run's inputs again (a new request, a new journal entry); its row appears
        at the top of the list. After a click on Rerun (``here=True``) its status and result
        show under the row clicked."""
        view = self.entry(ref)
        if view.omitted:
            raise ValueError(
                f"cannot rerun {view.request_id}: {_resume.rerun_blocker(view.omitted)}"
            )
        target = self.app_for(view.endpoint)
        target.form.value = without_omitted(view.arguments)
        if here:
            self._rerun_detail(view, None)
        run = target.submit(dict(view.arguments))
        if run.done:
            if here:
                self._rerun_detail(view, run)
            self.refresh()
        elif not self._closed:
            self._followers.append(_loop.spawn(self._follow(view, run, here)))
        return run

    def _rerun_detail(self, view: EntryView, run: Run | None) -> None:
        title = f"Rerun of {view.request_id[:8]} ({view.when_text()})"
        if run is None or not run.done:
            state = "submitting" if run is None else run.state
            self._set_detail(
                {
                    "for": view.request_id,
                    "kind": "rerun",
                    "title": title,
                    "state": state,
                    "blocks": [],
                }
            )
            return
        if run.state == "done":
            blocks = describe(run.output)
        else:
            t, d, rid = describe_exc(run.error) if run.error else ("Failed", "", None)
            blocks = [describe_error(t, d, rid or run.request_id)]
        self._set_detail(
            {
                "for": view.request_id,
                "kind": "rerun",
                "title": title,
                "state": run.state,
                "request_id": run.request_id,
                "blocks": blocks,
            }
        )

    async def _follow(self, view: EntryView, run: Run, here: bool) -> None:
        deadline = time.monotonic() + RESUME_TIMEOUT
        while run.request_id is None and not run.done and time.monotonic() < deadline:
            await asyncio.sleep(0.1)
        self.refresh()  # its row appears as soon as the client journalled it
        if run.task is not None:
            with contextlib.suppress(Exception):
                await _loop.wait_for(run.task, RESUME_TIMEOUT)
        if not self._closed:
            if here:
                self._rerun_detail(view, run)
            self.refresh()

    # -- compare -------------------------------------------------------------------------------
    def compare(self, a: EntryView | int | str, b: EntryView | int | str) -> Comparison:
        """Two runs side by side (inputs with the differences highlighted, both results), as a
        widget of its own: displayed by the cell that asks, not in the history's earlier cell."""
        return Comparison(compare=compare_data(self.entry(a), self.entry(b)))

    def _show_compare(self, a: str, b: str, *, at: str) -> None:
        data = compare_data(self.entry(a), self.entry(b))
        self._set_detail({"for": at, "kind": "compare", "title": "Compare", "compare": data})

    def close(self) -> None:
        """Stop following reruns and resumes, close the apps the history made."""
        with self._refresh_lock:
            self._closed = True
        for future in [*self._followers, self._resume_task]:
            if future is not None:
                future.cancel()
        for name in self._own_apps:
            self.apps[name].close()
        for widget in self._detail_widgets:
            if widget not in self.apps.values():
                widget.close()
        super().close()


def _widget_block(widget: Any) -> dict[str, Any]:
    return {
        "kind": "widget",
        "label": "",
        "ref": f"anywidget:{widget.model_id}",
        "stock": not hasattr(widget, "_esm"),
        "name": type(widget).__name__,
    }


def history(
    app: App | None = None,
    *,
    client: Any = None,
    limit: int | None = None,
    endpoint: str | None = None,
    resume: bool = True,
    remote: bool = False,
) -> History:
    """Past runs from the journal, newest first, searchable; resumes runs left in flight.

    Pass ``app`` to load past inputs into that app's form instead of a new one. ``limit`` caps
    how many of the newest runs are listed (default: all, a page at a time). ``remote=True``
    also lists the runs fal's request history has that this machine's journal lacks (runs from
    the Playground or other machines; never resumed).
    """
    return History(
        app=app, client=client, limit=limit, endpoint=endpoint, resume=resume, remote=remote
    )
