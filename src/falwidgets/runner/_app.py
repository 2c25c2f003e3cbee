"""The runner: a form plus Run and Cancel, a status line, a live log pane and the result area.

Runs are asyncio tasks through ``AsyncClient`` on the runner's background loop (see ``_loop``), so
the kernel stays responsive and several runs can be in flight; the widgets always follow the
newest one. ``App.run()`` is the synchronous door for scripts and notebook cells.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import html
import json
import time
from collections.abc import Coroutine
from typing import Any

import ipywidgets as w

from falwidgets.runner import _loop
from falwidgets.runner._backend import Backend, backend_for
from falwidgets.runner._errors import describe
from falwidgets.runner._panes import Banner, LogPane, StatusLine, esc
from falwidgets.runner._run import (
    DEFAULT_TIMEOUT,
    Run,
    checked_timeout,
    deadline_error,
    drive,
    drive_stream,
)
from falwidgets.runner._target import Target, resolve

PREVIOUS_HTML = (
    "<style>.fw-result.fw-stale{opacity:.45;filter:grayscale(.6)}</style>"
    '<span class="fw-previous-text" style="font-size:12px;color:#777;font-style:italic">'
    "previous result (the last run did not produce a new one)</span>"
)
TICK_SECONDS = 0.5  # status line refresh while running: cheap, one small message per tick
CANCEL_GRACE = 10.0  # seconds a cancelled run may take to stop before the task is dropped


def render_output(output: Any, spec: Any = None) -> w.Widget:
    """The preview layer's widget for ``output``; escaped JSON if that layer is unavailable."""
    try:
        from falwidgets.previews._preview import preview  # the HTML preview of this old app
    except ImportError:
        preview = None
    if preview is not None:
        return preview(output, spec=spec)
    text = json.dumps(output, indent=2, default=str)
    return w.HTML(f"<pre>{html.escape(text)}</pre>")


def render_html(output: Any, spec: Any = None) -> str | None:
    """The preview as one HTML string when it needs no widgets (images, media, JSON: the common
    case), else ``None`` (a GLB viewer, say). Updating one HTML widget's value per run instead of
    creating widgets keeps a saved notebook's widget state flat however many runs it holds."""
    try:
        from falwidgets.previews import render
    except ImportError:
        return None
    segments = render(output, spec=spec).segments
    if all(isinstance(s, str) for s in segments):
        return "".join(segments)
    return None


def show_in(box: w.Box, output: Any, spec: Any = None, slot: int = -1) -> None:
    """Put ``output``'s preview at ``box.children[slot]``, reusing an HTML preview widget there."""
    children = list(box.children)
    current = children[slot] if children else None
    html_text = render_html(output, spec)
    if (
        html_text is not None
        and isinstance(current, w.HTML)
        and "fw-preview" in current._dom_classes
    ):
        current.value = html_text
        return
    if html_text is not None:
        widget: w.Widget = w.HTML(html_text)
        widget.add_class("fw-preview")
    else:
        widget = render_output(output, spec)
    if children:
        children[slot] = widget
    else:
        children = [widget]
    box.children = children
    if current is not None:
        close_tree(current)


def close_tree(widget: w.Widget) -> None:
    """Close a widget and its children: replaced previews must leave the notebook's widget state."""
    for child in getattr(widget, "children", ()) or ():
        close_tree(child)
    widget.close()


class App(w.VBox):
    """Form + Run/Cancel + status + logs + result for one endpoint (see :func:`app`)."""

    def __init__(
        self,
        endpoint_or_model: Any,
        *,
        client: Any = None,
        endpoint: str | None = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        uploader: Any = None,
    ) -> None:
        from falwidgets.widgets import form as make_form

        timeout = checked_timeout(timeout)
        self.target: Target = resolve(endpoint_or_model, endpoint)
        self.endpoint: str | None = self.target.endpoint
        self.streaming = self.target.streaming
        self._stream_view: Any = None
        self.timeout = timeout
        self._backend: Backend | None = backend_for(client) if client is not None else None
        self.form = make_form(self.target.form_source, uploader=uploader or self._upload)
        if self.endpoint and hasattr(self.form, "endpoint_id"):
            self.form.endpoint_id = self.endpoint  # code() names the endpoint, not the model
        self.runs: list[Run] = []
        self.refused: Run | None = None  # the last run refused because of the form's errors
        self._shown: Run | None = None
        self._ticker: concurrent.futures.Future[None] | None = None
        self._uploader: Any = None

        self.run_button = w.Button(description="Run", button_style="primary", icon="play")
        self.run_button.add_class("fw-run")
        self.cancel_button = w.Button(description="Cancel", icon="stop", disabled=True)
        self.cancel_button.add_class("fw-cancel")
        self.run_button.on_click(lambda _b: self.submit())
        self.cancel_button.on_click(lambda _b: self.cancel())
        self.reset_button = w.Button(
            description="Reset", icon="undo", tooltip="Every field back to its default"
        )
        self.reset_button.add_class("fw-reset")
        self.reset_button.on_click(lambda _b: self.reset())
        self.status = StatusLine()
        self.logs = LogPane()
        self.banner = Banner()
        self.note = w.HTML("")
        self.note.add_class("fw-note")
        self.result = w.VBox([])
        self.result.add_class("fw-result")
        if self.endpoint is None:
            self.run_button.disabled = True
            self.run_button.tooltip = (
                "No endpoint: serve a function with @falwidgets.server.endpoint"
            )
        for button in (self.run_button, self.cancel_button, self.reset_button):
            button.layout = w.Layout(width="96px", flex="0 0 auto")  # widths never jump
        self.status.layout = w.Layout(flex="1 1 auto", min_width="0", overflow="hidden")
        buttons = w.HBox([self.run_button, self.cancel_button, self.reset_button, self.status])
        buttons.add_class("fw-buttons")
        self.buttons = buttons
        buttons.layout.align_items = "center"
        self.previous = w.HTML("")  # "previous result" over a result a failed run did not replace
        self.previous.add_class("fw-previous-label")
        self.previous.layout.display = "none"
        self.notice = w.HTML("")  # the endpoint is not served where runs go (see _check_served)
        self.notice.add_class("fw-notice")
        self.notice.layout.display = "none"
        super().__init__(
            [
                self.notice,
                self.form,
                buttons,
                self.banner,
                self.logs,
                self.previous,
                self.result,
                self.note,
            ]
        )
        self.add_class("fw-app")
        if self.endpoint is not None:
            self._describe_backend()  # starts the local server now if that is where runs go
            self._check_served()

    # -- backend -----------------------------------------------------------------------------
    @property
    def backend(self) -> Backend:
        """Where runs go; resolved on first use so building a form never starts a server."""
        if self._backend is None:
            self._backend = backend_for(None)
            self._describe_backend()
        return self._backend

    @property
    def client(self) -> Any:
        return self.backend.client

    def _describe_backend(self) -> None:
        self.note.value = f'<span class="fw-note-text">{esc(self.backend.note)}</span>'

    def _check_served(self) -> None:
        """On the embedded local server an endpoint it does not serve would build a form and
        fail only on Run (a 404): say so at the top, name the demos, and keep Run disabled."""
        if self._backend is None or not self._backend.local or self.endpoint is None:
            return
        from falwidgets.runner._target import served_ids

        served = served_ids()
        if self.endpoint.strip("/") in served:
            return
        self.notice.value = unserved_notice(self.endpoint, served)
        self.notice.layout.display = None
        self.run_button.disabled = True
        self.run_button.tooltip = "Not served by the local server: set FAL_KEY or pass client="

    def _upload(self, data: bytes, content_type: str, file_name: str) -> str:
        """Form uploads go to the runs' host (local server or fal); else inline as data URIs."""
        if self._uploader is None:
            from falwidgets.widgets import default_uploader

            self._uploader = self.backend.uploader() or default_uploader
        return self._uploader(data, content_type, file_name)

    # -- running -----------------------------------------------------------------------------
    @property
    def in_flight(self) -> list[Run]:
        return [run for run in self.runs if not run.done]

    @property
    def last(self) -> Run | None:
        """The newest run (the one the status line shows)."""
        return self.runs[-1] if self.runs else None

    def _arguments(self, arguments: dict[str, Any] | None) -> dict[str, Any]:
        if self.endpoint is None:
            raise RuntimeError(
                "this app has no endpoint to run: serve a function with "
                "@falwidgets.server.endpoint('me/name', input=..., output=...) and pass its id"
            )
        if arguments is not None:
            self.form.value = dict(arguments)
        return dict(self.form.value)

    def _start(self, arguments: dict[str, Any] | None) -> Run:
        """A new run of the form's value, or a refused one (never sent) while fields are wrong."""
        values = self._arguments(arguments)
        refusal = self._refusal()
        run = Run(endpoint=self.endpoint or "", arguments=values)
        if refusal is not None:
            run.state, run.error, run.finished_at = "failed", refusal, run.submitted_at
            self.refused = run
            fields = _field_names(getattr(refusal, "errors", []))
            n = len(fields)
            self.banner.show(f"Fix {n} field{'s' * (n != 1)} first", ", ".join(fields))
            return run
        self.runs.append(run)
        self._show(run)
        return run

    def _refusal(self) -> BaseException | None:
        """A ``ValidationError`` when the form shows errors: their fields would be dropped, so
        sending would ask for something else (or lose a required field). The marks stay."""
        errors = list(getattr(self.form, "errors", None) or [])
        if not errors:
            return None
        from falwidgets.client import ValidationError

        listed = "; ".join(
            f"{'.'.join(map(str, e.get('loc') or ())) or 'input'}: {e.get('msg')}" for e in errors
        )
        n = len(_field_names(errors))
        return ValidationError(
            f"fix {n} field{'s' * (n != 1)} first (nothing was sent): {listed}",
            errors=[{**e, "loc": ["body", *(e.get("loc") or ())]} for e in errors],
        )

    def _drive(self, run: Run) -> Coroutine[Any, Any, Run]:
        return self._drive_and_record(run)

    async def _drive_and_record(self, run: Run) -> Run:
        """Drive ``run``; the client journals it (streams and refused submits too), and a run that
        never got a queue id takes its journal entry's id so the status line names it."""
        if self.streaming:
            await drive_stream(
                run, self.client, self._on_partial, self._on_update, timeout=self.timeout
            )
        else:
            await drive(run, self.client, self._on_update, timeout=self.timeout)
        rid = None if run.request_id else getattr(run.error, "journal_id", None)
        if rid is not None:
            run.request_id = rid
            if run is self._shown:
                self.status.show(run.state, run.summary(), run.request_id)
        return run

    def submit(self, arguments: dict[str, Any] | None = None) -> Run:
        """Start a run on the runner loop and return it at once (what the Run button does).

        While the form shows errors nothing is sent: the returned run is ``failed`` with a
        ``ValidationError`` and the banner says how many fields to fix. In a plain script (no
        event loop in the calling thread) the run has finished when this returns, so a script's
        ``button.click()`` behaves like ``run()``.
        """
        if arguments is None and self.endpoint is not None and self._uploading():
            run = self._start_after_uploads()
        else:
            run = self._start(arguments)
            if run.done:
                return run
            run.task = _loop.spawn(self._drive(run))
        self._ensure_ticker()
        if _loop.running_loop() is None:
            with contextlib.suppress(Exception):  # the outcome is on the run
                _loop.block(run.task, self._deadline)
        return run

    def _uploading(self) -> bool:
        return bool(getattr(self.form, "uploading", False))

    def _start_after_uploads(self) -> Run:
        """Run pressed while files are still uploading: the run waits for them (off the kernel
        thread) with "Waiting for uploads…" in the status line, then reads the form and goes."""
        run = Run(endpoint=self.endpoint or "", arguments=dict(self.form.value))
        self.runs.append(run)
        self._show(run)
        self.status.show("uploading", "Waiting for uploads…")
        run.task = _loop.spawn(self._after_uploads(run))
        return run

    async def _after_uploads(self, run: Run) -> Run:
        limit = self.timeout if self.timeout is not None else DEFAULT_TIMEOUT
        try:
            await asyncio.to_thread(self.form.wait_uploads, limit)
        except asyncio.CancelledError as exc:  # Cancel pressed while waiting: nothing was sent
            run.state, run.error = "cancelled", exc
        except Exception as exc:  # TimeoutError naming the files still uploading
            run.state, run.error = "failed", exc
        else:
            run.arguments = dict(self.form.value)  # now with the uploaded files' URLs
            refusal = self._refusal()
            if refusal is None:
                return await self._drive(run)
            run.state, run.error = "failed", refusal
        run.finished_at = time.monotonic()
        self._on_update(run, [])
        return run

    @property
    def _deadline(self) -> float | None:
        return None if self.timeout is None else self.timeout + CANCEL_GRACE

    async def arun(self, arguments: dict[str, Any] | None = None) -> Run:
        """Run once and wait for it, from async code (``await app.arun({...})``)."""
        run = self.submit(arguments)
        if run.task is not None and not run.task.done():
            await _loop.wait_for(run.task, self._deadline)
        return run

    def run(self, arguments: dict[str, Any] | None = None) -> Any:
        """Run once synchronously (scripts and notebook cells) and return the output.

        Raises the run's error (a ``FalError`` with ``request_id``) when it did not succeed;
        interrupting the kernel cancels the run.
        """
        wait_uploads = getattr(self.form, "wait_uploads", None)
        if wait_uploads is not None and arguments is None:  # files still on their way up
            wait_uploads(self.timeout)
        run = self._start(arguments)
        if run.done:
            raise run.error or RuntimeError("the run was refused")
        run.task = _loop.spawn(self._drive(run))
        self._ensure_ticker()
        try:
            _loop.block(run.task, self._deadline)
        except TimeoutError as exc:  # the run did not even stop at its own deadline
            run.error = deadline_error(run, self.timeout, exc)
            run.state, run.finished_at = "failed", run.finished_at or run.submitted_at
            raise run.error from None
        if run.error is not None:
            raise run.error
        return run.output

    async def wait(self, timeout: float | None = None) -> list[Run]:
        """Wait until every run in flight has finished (``await app.wait()`` in a notebook)."""
        futures = [r.task for r in self.in_flight if r.task is not None]
        if futures:
            waits = (_loop.wait_for(f) for f in futures)  # a cancelled run is finished too
            await asyncio.wait_for(asyncio.gather(*waits, return_exceptions=True), timeout)
        return self.runs

    def reset(self) -> None:
        """Every field back to its default (the Reset button); the banner goes too."""
        self.form.reset()
        self.banner.clear()

    def cancel(self) -> None:
        """Cancel every run in flight: on the server when submitted, locally otherwise."""
        pending = self.in_flight
        if pending:  # first: a run that stops at once then overwrites this with its outcome
            last = self.last
            self.status.show("cancelling", "Cancelling…", last.request_id if last else None)
        for run in pending:
            run.cancel_requested = True
            if run.handle is not None:
                _loop.spawn(self._cancel_remote(run))
            elif run.task is not None:
                run.task.cancel()

    async def _cancel_remote(self, run: Run) -> None:
        """Ask the server to cancel; the event stream then reports it. Drop it if it doesn't."""
        try:
            await asyncio.wait_for(run.handle.cancel(), CANCEL_GRACE)
        except Exception as exc:  # already finished, or unreachable: stop following it locally
            if run.task is not None and not run.done and not _already_done(exc):
                run.task.cancel()
        if run.task is not None and not run.done:
            try:
                await _loop.wait_for(run.task, CANCEL_GRACE)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                run.task.cancel()

    # -- display -----------------------------------------------------------------------------
    def _show(self, run: Run) -> None:
        """Point the status line and log pane at ``run`` (the newest)."""
        self._shown = run
        self._stream_view = None
        self.banner.clear()
        self.logs.clear()
        self.status.show(run.state, run.summary(), run.request_id)
        self.cancel_button.disabled = False
        clear_errors = getattr(self.form, "show_errors", None)
        if clear_errors is not None:
            clear_errors([])

    def _on_update(self, run: Run, new_logs: list[Any]) -> None:
        if run.done:  # any run, not just the shown one: an older run may finish last
            self.cancel_button.disabled = not self.in_flight
        if run is not self._shown:
            return
        if new_logs:
            self.logs.extend(new_logs)
        self.status.show(run.state, run.summary(), run.request_id)
        if run.done:
            self._finish(run)

    def _on_partial(self, run: Run, partial: Any) -> None:
        """Streaming: each partial result replaces the previous one in the same preview."""
        if run is not self._shown:
            return
        if self._stream_view is None:
            from falwidgets.previews import StreamPreview

            self._stream_view = StreamPreview(spec=self.target.output_spec)
            self._replace_result(self._stream_view)
        self._stream_view.update(partial)

    def _finish(self, run: Run) -> None:
        self.cancel_button.disabled = not self.in_flight
        self.logs.collapse()
        if run.state == "done":
            self._mark_previous(False)
            if self._stream_view is not None:
                self._stream_view.update(run.output, final=True)
                self._stream_view = None
            else:
                self._set_result(run.output)
            return
        self._stream_view = None
        self._mark_previous(True)
        exc = run.error
        if run.state == "cancelled":
            self.banner.clear()
            return
        errors = getattr(exc, "errors", None)
        if _is_validation(exc) and isinstance(errors, list):
            self.form.show_errors(errors)
            if any(_field_loc(e) for e in errors):
                return  # the messages sit beside their fields
        if exc is not None:
            title, detail, rid = describe(exc)
            self.banner.show(title, detail, rid or run.request_id)

    def _mark_previous(self, stale: bool) -> None:
        """Dim a result the newest run did not replace (it failed or was cancelled) and label it
        "previous result", so nobody mistakes it for the newest run's output."""
        stale = stale and bool(self.result.children)
        if stale:
            self.result.add_class("fw-stale")
            self.previous.value = PREVIOUS_HTML
            self.previous.layout.display = None
        else:
            self.result.remove_class("fw-stale")
            self.previous.value = ""
            self.previous.layout.display = "none"

    def _set_result(self, output: Any) -> None:
        show_in(self.result, output, self.target.output_spec)

    def _replace_result(self, widget: w.Widget) -> None:
        old = list(self.result.children)
        self.result.children = [widget]
        for previous in old:
            close_tree(previous)

    def _ensure_ticker(self) -> None:
        if self._ticker is None or self._ticker.done():
            self._ticker = _loop.spawn(self._tick())

    async def _tick(self) -> None:
        """Refresh the elapsed time while the shown run is running; stops when nothing runs."""
        while self.in_flight:
            run = self._shown
            if run is not None and run.state == "running":
                self.status.show(run.state, run.summary(), run.request_id)
            await asyncio.sleep(TICK_SECONDS)

    def __repr__(self) -> str:
        last = self.last
        state = f", last {last.state}" if last else ""
        return f"<App {self.endpoint or 'no endpoint'}: {len(self.runs)} runs{state}>"

    def close(self) -> None:
        """Close the app and every widget it made (form, buttons, panes, result previews).

        Runs in flight are cancelled, on the server too (see ``_run._guard``), and the ticker
        stops: a closed app must leave neither jobs nor widget models behind in the kernel.
        """
        for run in getattr(self, "runs", ()):  # absent when __init__ failed early
            run.cancel_requested = True
            if run.task is not None and not run.done:
                run.task.cancel()
        ticker = getattr(self, "_ticker", None)
        if ticker is not None:
            ticker.cancel()
        for widget in list(getattr(self, "children", ())):
            close_tree(widget)
        super().close()


def unserved_notice(endpoint: str, served: list[str]) -> str:
    """One line naming the local server's endpoints, the closest to ``endpoint`` first."""
    import difflib

    close = difflib.get_close_matches(endpoint, served, n=len(served), cutoff=0.0)
    names = ", ".join(f"<code>{esc(name)}</code>" for name in close[:8])
    more = f" and {len(close) - 8} more" if len(close) > 8 else ""
    return (
        '<div class="fw-notice-box" style="border-left:4px solid #f9a825;background:#fff8e1;'
        f'padding:4px 10px;font-size:13px"><b>{esc(endpoint)}</b> is not served by the local '
        f"server (no FAL_KEY), so Run is off. Try {names}{more}; or set FAL_KEY, or pass "
        "<code>client=</code> pointing at another server.</div>"
    )


def _is_validation(exc: BaseException | None) -> bool:
    return exc is not None and any(k.__name__ == "ValidationError" for k in type(exc).__mro__)


def _field_loc(error: Any) -> list[Any]:
    """An error's location below the request body (empty when it concerns the whole input)."""
    loc = list(error.get("loc") or []) if isinstance(error, dict) else []
    return loc[1:] if loc[:1] == ["body"] else loc


def _field_names(errors: Any) -> list[str]:
    """Distinct dotted locations of ``errors`` (below ``body``), in order: the fields to fix."""
    names = [".".join(map(str, _field_loc(e))) or "input" for e in errors or ()]
    return list(dict.fromkeys(names))


def _already_done(exc: BaseException) -> bool:
    text = str(exc).upper()
    return "ALREADY_COMPLETED" in text or "ALREADY COMPLETED" in text


def app(
    endpoint_or_model: Any,
    *,
    client: Any = None,
    endpoint: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    uploader: Any = None,
    data_uris: bool = False,
) -> App:
    """A runnable form for an endpoint id, an EndpointSchema, a served function or a model.

    With no ``client``: ``FAL_KEY`` in the environment means real fal, otherwise the embedded local
    server (started once per kernel); the app's last line says which. ``FALWIDGETS_LOCAL=1`` forces
    the local server even when ``FAL_KEY`` is set (offline demos, tests, workshop rehearsals).

    Files the user uploads go to the runs' host; pass ``uploader(data, content_type, file_name)
    -> url`` to send them elsewhere, or ``data_uris=True`` to inline them as ``data:`` URIs.
    """
    if data_uris:
        if uploader is not None:
            raise TypeError("pass either uploader= or data_uris=True, not both")
        from falwidgets.widgets import default_uploader

        uploader = default_uploader
    return App(
        endpoint_or_model, client=client, endpoint=endpoint, timeout=timeout, uploader=uploader
    )
