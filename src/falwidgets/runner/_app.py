"""`App`: fal's Playground as ONE anywidget: header, form, Run/Cancel, status, logs, result.

The form state is the app's own (it is a `Form`), so a whole app is one widget model: a big
form renders at once, marimo can show it, and a saved notebook holds one small state. Runs go
through the runner's machinery unchanged (`_run.drive` on the background loop of `_loop`, the
client from `_backend`); this module only maps a `Run` onto synced traits (`status`, `logs`,
`result`, `banner`, `busy`) and browser messages (run, cancel, example, reset, code) onto methods.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import re
import time
from collections.abc import Callable, Coroutine, Mapping
from typing import Any

import traitlets

from falwidgets.previews import describe as describe_output
from falwidgets.previews import describe_stream
from falwidgets.previews._describe import block_kinds
from falwidgets.runner import _loop
from falwidgets.runner._app_wiring import AppWiring
from falwidgets.runner._backend import Backend, backend_for
from falwidgets.runner._errors import describe
from falwidgets.runner._run import (
    DEFAULT_TIMEOUT,
    Run,
    checked_timeout,
    deadline_error,
    drive,
    drive_stream,
)
from falwidgets.runner._target import Target, resolve
from falwidgets.schema import MISSING
from falwidgets.widgets._form import Form, form_parts

TICK_SECONDS = 0.5  # status refresh while running: one small message per tick
CANCEL_GRACE = 10.0
MAX_LOGS = 500  # the browser keeps the newest; the run keeps them all
DOUBLE_CLICK_SECONDS = 1.0  # a second Run with the same input this soon is the same click
_STEP = re.compile(r"(?:step\s*)?(\d+)\s*/\s*(\d+)", re.IGNORECASE)
_PERCENT = re.compile(r"(\d{1,3}(?:\.\d+)?)\s*%")


def progress_of(message: str) -> float | None:
    """A 0..1 fraction from a log line such as "step 74/400" or "35%", else None."""
    match = _STEP.search(message)
    if match:
        done, total = int(match.group(1)), int(match.group(2))
        if total > 0 and 0 <= done <= total:
            return done / total
    match = _PERCENT.search(message)
    if match:
        value = float(match.group(1))
        if 0 <= value <= 100:
            return value / 100
    return None


def log_entry(item: Any) -> dict[str, Any]:
    """One log line as JSON for the browser (text only: it is drawn as text, never as HTML)."""
    if isinstance(item, dict):
        return {"message": str(item.get("message", "")), "level": str(item.get("level") or "")}
    message = getattr(item, "message", None)
    if message is not None:
        return {"message": str(message), "level": str(getattr(item, "level", "") or "")}
    return {"message": str(item), "level": ""}


# Plain causes for the banner, first match wins: (test on the error and its text, title). A
# registry like runner/_errors.py's titles, which it refines for the cases users hit most.
PLAIN_CAUSES: list[tuple[Callable[[BaseException, str], bool], str]] = [
    (
        lambda e, t: "endpoint_not_allowed" in t or "is not allowed here" in t,
        "The proxy refused this endpoint",
    ),
    (lambda e, t: "budget_exhausted" in t or "budget of" in t, "Budget used up"),
    (
        lambda e, t: (
            any(k.__name__ in ("ConnectError", "ConnectTimeout") for k in type(e).__mro__)
            or "connect call failed" in t
            or "connection refused" in t
        ),
        "Server unreachable",
    ),
]


def banner_of(exc: BaseException, request_id: str | None) -> dict[str, Any]:
    """One banner: a plain cause as the title, the error's own text as the detail, and the
    request id only when there is one."""
    title, detail, rid = describe(exc)
    chain = " ".join(str(x) for x in (exc, exc.__cause__, exc.__context__) if x).lower()
    for test, plain in PLAIN_CAUSES:
        try:
            if test(exc, chain) or (exc.__cause__ is not None and test(exc.__cause__, chain)):
                title = plain
                break
        except Exception:  # a cause test must never hide the error itself
            continue
    return {"title": title, "detail": detail, "request_id": rid or request_id}


def header_of(target: Target, endpoint: str | None) -> dict[str, Any]:
    """Title, id, category and (for endpoints of fal's catalog) the model page's URL."""
    document = getattr(target.form_source, "document", None) or {}
    meta = ((document.get("info") or {}).get("x-fal-metadata") or {}) if document else {}
    ident = endpoint or ""
    title = str(meta.get("title") or "")
    if not title:
        from falwidgets.schema._labels import humanize

        parts = [p for p in ident.split("/") if p]
        title = humanize(parts[1] if len(parts) > 1 else (parts[0] if parts else "Form"))
    url = None
    if ident:
        from falwidgets.schema import catalog

        if ident in set(catalog()):
            url = f"https://fal.ai/models/{ident}"
    return {
        "title": title,
        "endpoint_id": ident,
        "category": str(meta.get("category") or ""),
        "url": url,
    }


class App(AppWiring, Form):
    """Form + Run/Cancel + status + logs + result for one endpoint (see :func:`app`).

    Running, the same on ``App``, ``Sweep`` and ``History``: ``run()`` blocks and returns the
    result (here the output; it raises the run's error), ``await arun()`` is its coroutine twin
    returning the same, ``wait()`` blocks until the work in flight (runs started with the Run
    button or :meth:`submit`) has finished and ``await wait_async()`` is its twin; both return the
    object itself. :meth:`submit` starts a run and returns the :class:`Run` at once.

    The client is the kernel's shared one unless you pass yours; :meth:`close` closes the widget
    and cancels runs, never a client.
    """

    status = traitlets.Dict().tag(sync=True)
    logs: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    # blocks from previews.describe, drawn by js/src/results/render.js (renderResults)
    result: traitlets.List[dict[str, Any]] = traitlets.List().tag(sync=True)
    kinds = traitlets.Dict().tag(sync=True)  # ES modules of users' block kinds in `result`
    previous = traitlets.Unicode("").tag(
        sync=True
    )  # label over a result the last run did not replace
    banner = traitlets.Dict().tag(sync=True)
    header = traitlets.Dict().tag(sync=True)
    busy = traitlets.Bool(False).tag(sync=True)  # a submission is being made: Run is off
    disabled_reason = traitlets.Unicode("").tag(sync=True)  # why Run is off besides errors/busy
    note = traitlets.Unicode("").tag(sync=True)  # where runs go (never a key)

    _bundle = "app"

    def __init__(
        self,
        target: Target,
        *,
        client: Any = None,
        timeout: float | None = DEFAULT_TIMEOUT,
        uploader: Any = None,
        inputs: Mapping[str, Any] | None = None,
    ) -> None:
        self.target = target
        self.endpoint: str | None = target.endpoint
        self.streaming = target.streaming
        self.timeout = checked_timeout(timeout)
        self._backend: Backend | None = backend_for(client) if client is not None else None
        self._user_uploader = uploader
        self.runs: list[Run] = []
        self.refused: Run | None = None
        self._shown_run: Run | None = None
        self._clicked: Run | None = None  # the run the last Run click started
        self._ticker: concurrent.futures.Future[None] | None = None
        self._uploader_fn: Any = None
        self._result_children: list[Any] = []  # widgets the result blocks refer to (GLB viewer)
        self._partials = 0  # streamed partial results of the shown run
        parts = form_parts(target.form_source)
        spec = parts.pop("field_spec")
        if self.endpoint:
            parts["endpoint_id"] = self.endpoint  # code() names the endpoint, not the model
        super().__init__(spec, uploader=self._upload, **parts)
        _ = self.add_class("fw-app")  # a hook for saved-notebook checks (JupyterLab only)
        if inputs:
            prefill(self, inputs)  # a chained result's URL, a compare's arguments
        self.header = header_of(target, self.endpoint)
        if self.endpoint is None:
            self.disabled_reason = "No endpoint: serve a function with @falwidgets.server.endpoint"
        else:
            self.note = self.backend.note  # starts the local server now if runs go there
            self._check_served()
        self._wire()  # cost, Use in…, Live (_app_wiring)

    # -- backend -----------------------------------------------------------------------------
    @property
    def backend(self) -> Backend:
        if self._backend is None:
            self._backend = backend_for(None)
            self.note = self._backend.note
        return self._backend

    @property
    def client(self) -> Any:
        return self.backend.client

    @property
    def form(self) -> App:
        """The form is the app itself (one widget): `app.form.value` is `app.value`."""
        return self

    def _check_served(self) -> None:
        if self._backend is None or not self._backend.local or self.endpoint is None:
            return
        from falwidgets.runner._target import served_ids

        served = served_ids()
        if self.endpoint.strip("/") in served:
            return
        import difflib

        close = difflib.get_close_matches(self.endpoint, served, n=5, cutoff=0.0)
        self.disabled_reason = (
            f"{self.endpoint} is not served by the local server (no FAL_KEY). Try "
            f"{', '.join(close)}; or set FAL_KEY, or pass client= pointing at another server."
        )

    def _upload(self, data: bytes, content_type: str, file_name: str) -> str:
        if self._user_uploader is not None:
            return self._user_uploader(data, content_type, file_name)
        if self._uploader_fn is None:
            from falwidgets.widgets._form import data_uri_uploader

            self._uploader_fn = self.backend.uploader() or data_uri_uploader
        return self._uploader_fn(data, content_type, file_name)

    # -- browser messages --------------------------------------------------------------------
    def handle_message(self, content: dict[str, Any], buffers: list[Any]) -> None:
        if self.wiring_message(content):  # cost, Use in…, Live (_app_wiring)
            return
        kind = content.get("type")
        if kind == "run":
            last = self.last
            if (
                last is not None
                and last is self._clicked
                and time.monotonic() - last.submitted_at < DOUBLE_CLICK_SECONDS
                and last.arguments == self.value
            ):
                return  # a double click (or key repeat): that run is already on its way
            # only a run a click started makes the next click a double click: a click just
            # after `run()` in code is a new run
            self._clicked = self.submit()
        elif kind == "cancel":
            self.cancel()
        elif kind == "example":
            self.fill_example()
        elif kind == "reset":
            self.reset()
        elif kind == "code":
            self.send({"type": "code", "snippets": self.snippets()})

    def snippets(self) -> dict[str, str]:
        """Every "Copy code" tab: Python (falwidgets, fal_client), JavaScript and curl."""
        from falwidgets.widgets._code import snippets

        base = self.backend.base_url if self._backend is not None and self._backend.local else None
        defaults = self.initial()
        changed = {k: v for k, v in self.value.items() if defaults.get(k, MISSING) != v}
        endpoint = self.endpoint_id or "owner/endpoint"
        # only what differs from the defaults: the server applies those anyway
        return {
            kind: snippets(endpoint, changed, kind, base)
            for kind in ("falwidgets", "fal_client", "javascript", "curl")
        }

    # -- running -----------------------------------------------------------------------------
    @property
    def in_flight(self) -> list[Run]:
        return [run for run in self.runs if not run.done]

    @property
    def last(self) -> Run | None:
        return self.runs[-1] if self.runs else None

    def _refusal(self) -> BaseException | None:
        """An ``InputRejected`` when the form has errors (required fields included): nothing is
        sent, the first bad field is opened and focused in the browser."""
        errors = self.validate()
        if not errors:
            return None
        from falwidgets.client import InputRejected

        names = _field_names(errors)
        listed = "; ".join(
            f"{'.'.join(map(str, e.get('loc') or ())) or 'input'}: {e.get('msg')}" for e in errors
        )
        return InputRejected(
            f"fix {len(names)} field{'s' * (len(names) != 1)} first (nothing was sent): {listed}",
            errors=[{**e, "loc": ["body", *(e.get("loc") or ())]} for e in errors],
        )

    def _start(self, arguments: dict[str, Any] | None) -> Run:
        if self.endpoint is None:
            raise RuntimeError(
                "this app has no endpoint to run: serve a function with "
                "@falwidgets.server.endpoint('me/name', input=..., output=...) and pass its id"
            )
        if arguments is not None:
            self.value = dict(arguments)
        run = Run(endpoint=self.endpoint, arguments=dict(self.value))
        refusal = self._refusal()
        if refusal is not None:
            run.state, run.error, run.finished_at = "failed", refusal, run.submitted_at
            self.refused = run
            names = _field_names(getattr(refusal, "errors", []))
            n = len(names)
            self.banner = {
                "title": f"Fix {n} field{'s' * (n != 1)} first",
                "detail": ", ".join(names),
                "request_id": None,
            }
            self.status = {"state": "refused", "text": f"Not sent: fix {n} field{'s' * (n != 1)}"}
            if self.result:
                self.previous = "Previous result: it may not match the form any more"
            return run
        self.runs.append(run)
        self._show(run)
        return run

    def submit(self, arguments: dict[str, Any] | None = None) -> Run:
        """Start a run and return it at once (what Run does). A second Run while a submission is
        being made returns that same run: a double click submits once. Code that submits other
        arguments starts another run (several may be in flight)."""
        last = self.last
        same = arguments is None or dict(arguments) == last.arguments if last else False
        if self.busy and last is not None and not last.done and same:
            return last
        if arguments is None and self.endpoint is not None and self.uploading:
            run = self._start_after_uploads()  # the kernel stays free while files go up
        else:
            run = self._start(arguments)
            if run.done:
                return run
            self.busy = True
            run.task = _loop.spawn(self._drive(run))
        self._ensure_ticker()
        if _loop.running_loop() is None and run.task is not None:
            with contextlib.suppress(Exception):
                _loop.block(run.task, self._deadline)
        return run

    def _start_after_uploads(self) -> Run:
        """Run pressed while files are still uploading: the run waits for them on the runner
        loop ("Waiting for uploads…"), then reads the form, checks it and goes."""
        run = Run(endpoint=self.endpoint or "", arguments=dict(self.value))
        self.runs.append(run)
        self._show(run)
        self.busy = True
        self.status = {**self.status, "state": "uploading", "text": "Waiting for uploads…"}
        run.task = _loop.spawn(self._after_uploads(run))
        return run

    async def _after_uploads(self, run: Run) -> Run:
        limit = self.timeout if self.timeout is not None else DEFAULT_TIMEOUT
        try:
            await asyncio.to_thread(self.wait_uploads, limit)
        except asyncio.CancelledError as exc:  # Cancel while waiting: nothing was sent
            run.state, run.error = "cancelled", exc
        except Exception as exc:  # TimeoutError naming the files still uploading
            run.state, run.error = "failed", exc
        else:
            run.arguments = dict(self.value)  # now with the uploaded files' URLs
            refusal = self._refusal()
            if refusal is None:
                return await self._drive(run)
            run.state, run.error = "failed", refusal
        run.finished_at = time.monotonic()
        self._on_update(run, [])
        return run

    def _drive(self, run: Run) -> Coroutine[Any, Any, Run]:
        return self._drive_and_record(run)

    async def _drive_and_record(self, run: Run) -> Run:
        if self.streaming:
            await drive_stream(
                run, self.client, self._on_partial, self._on_update, timeout=self.timeout
            )
        else:
            await drive(run, self.client, self._on_update, timeout=self.timeout)
        rid = None if run.request_id else getattr(run.error, "journal_id", None)
        if rid is not None:
            run.request_id = rid
            if run is self._shown_run:
                self._paint_status(run)
        return run

    @property
    def _deadline(self) -> float | None:
        return None if self.timeout is None else self.timeout + CANCEL_GRACE

    async def arun(self, arguments: dict[str, Any] | None = None) -> Any:
        """:meth:`run` from async code (``await app.arun({...})``): the output, or the error."""
        run = self.submit(arguments)
        if run.task is not None and not run.task.done():
            await _loop.wait_for(run.task, self._deadline)
        if run.error is not None:
            raise run.error
        return run.output

    def run(self, arguments: dict[str, Any] | None = None) -> Any:
        """Run once synchronously and return the output; raises the run's error."""
        if arguments is None and self.uploading:
            self.wait_uploads(self.timeout or DEFAULT_TIMEOUT)
        run = self._start(arguments)
        if run.done:
            raise run.error or RuntimeError("the run was refused")
        self.busy = True
        run.task = _loop.spawn(self._drive(run))
        self._ensure_ticker()
        try:
            _loop.block(run.task, self._deadline)
        except TimeoutError as exc:
            run.error = deadline_error(run, self.timeout, exc)
            run.state, run.finished_at = "failed", run.finished_at or run.submitted_at
            raise run.error from None
        if run.error is not None:
            raise run.error
        return run.output

    def _pending_tasks(self) -> list[concurrent.futures.Future[Any]]:
        return [r.task for r in self.in_flight if r.task is not None]

    async def wait_async(self, timeout: float | None = None) -> App:
        """``await app.wait_async()``: until every run in flight has finished (a cancelled one
        counts as finished); ``TimeoutError`` after ``timeout`` seconds."""
        waits = (_loop.wait_for(f) for f in self._pending_tasks())
        await asyncio.wait_for(asyncio.gather(*waits, return_exceptions=True), timeout)
        return self

    def wait(self, timeout: float | None = None) -> App:
        """Block until every run in flight has finished (``TimeoutError`` after ``timeout``; the
        runs keep going: :meth:`cancel` stops them)."""
        _loop.wait_all(self._pending_tasks(), timeout)
        return self

    def reset(self) -> None:
        """Every field back to its default; the banner goes too."""
        super().reset()
        self.banner = {}

    def cancel(self) -> None:
        """Cancel every run in flight: on the server when submitted, locally otherwise."""
        pending = self.in_flight
        if pending:
            last = self.last
            self.status = {
                **self.status,
                "state": "cancelling",
                "text": "Cancelling…",
                "request_id": last.request_id if last else None,
            }
        for run in pending:
            run.cancel_requested = True
            if run.handle is not None:
                _loop.spawn(self._cancel_remote(run))
            elif run.task is not None:
                run.task.cancel()

    async def _cancel_remote(self, run: Run) -> None:
        if run.handle is None:
            return
        try:
            await asyncio.wait_for(run.handle.cancel(), CANCEL_GRACE)
        except Exception as exc:
            if run.task is not None and not run.done and "ALREADY" not in str(exc).upper():
                run.task.cancel()
        if run.task is not None and not run.done:
            try:
                await _loop.wait_for(run.task, CANCEL_GRACE)
            except (asyncio.TimeoutError, asyncio.CancelledError):
                run.task.cancel()

    # -- display -----------------------------------------------------------------------------
    def _paint_status(self, run: Run, progress: float | None = None) -> None:
        status = {
            "state": run.state,
            "text": run.summary(),
            "position": run.position,
            "elapsed": round(run.elapsed, 1),
            "inference_time": run.inference_time,
            "request_id": run.request_id,
            "progress": progress if progress is not None else self.status.get("progress"),
        }
        if run.done:
            status["progress"] = 1.0 if run.state == "done" else None
        self.status = status

    def _show(self, run: Run) -> None:
        self._shown_run = run
        self._partials = 0
        self.banner = {}
        self.logs = []
        self.status = {}
        if self.result:
            self.previous = "Previous result: the new one replaces it when it arrives"
        self._paint_status(run)

    def _on_update(self, run: Run, new_logs: list[Any]) -> None:
        if run.state != "submitting" and run is self.last:
            self.busy = False
        if run is not self._shown_run:
            return
        progress = None
        if new_logs:
            entries = [log_entry(item) for item in new_logs]
            self.logs = [*self.logs, *entries][-MAX_LOGS:]
            for entry in reversed(entries):
                progress = progress_of(entry["message"])
                if progress is not None:
                    break
        self._paint_status(run, progress)
        if run.done:
            self._finish(run)

    def _show_result(self, blocks: list[dict[str, Any]], children: list[Any]) -> None:
        """Swap the result pane's blocks; the widgets of the replaced result are closed."""
        old, self._result_children = self._result_children, children
        self.kinds = block_kinds(blocks)
        self.result = blocks
        self.previous = ""
        for child in old:
            child.close()

    def _on_partial(self, run: Run, partial: Any) -> None:
        if run is self._shown_run:
            self._partials += 1
            spec = self.target.output_spec
            self._show_result(describe_stream(partial, step=self._partials, spec=spec), [])

    def _finish(self, run: Run) -> None:
        self.busy = False
        if run.state == "done":
            children: list[Any] = []
            blocks = describe_output(
                run.output,
                spec=self.target.output_spec,
                widgets=children,
                inputs=run.arguments,
            )
            self._show_result(blocks, children)
            return
        self.previous = (
            "Previous result: the last run did not produce a new one" if self.result else ""
        )
        exc = run.error
        if run.state == "cancelled":
            self.banner = {}
            return
        errors = getattr(exc, "errors", None)
        if _is_validation(exc) and isinstance(errors, list):
            self.show_errors(errors)  # opens and focuses the first bad field (a server 422)
            if any(_field_loc(e) for e in errors):
                n = len(_field_names(errors))
                self.banner = {
                    "title": f"The server refused {n} field{'s' * (n != 1)}",
                    "detail": ", ".join(_field_names(errors)),
                    "request_id": run.request_id,
                }
                return
        if exc is not None:
            self.banner = banner_of(exc, run.request_id)

    def _ensure_ticker(self) -> None:
        if self._ticker is None or self._ticker.done():
            self._ticker = _loop.spawn(self._tick())

    async def _tick(self) -> None:
        while self.in_flight:
            run = self._shown_run
            if run is not None and run.state in ("queued", "running"):
                self._paint_status(run)
            await asyncio.sleep(TICK_SECONDS)

    def __repr__(self) -> str:
        last = self.last
        state = f", last {last.state}" if last else ""
        return f"<App {self.endpoint or 'no endpoint'}: {len(self.runs)} runs{state}>"

    def close(self) -> None:
        """Close the app; runs in flight are cancelled (on the server too) and the ticker stops."""
        for run in getattr(self, "runs", ()):
            run.cancel_requested = True
            if run.task is not None and not run.done:
                run.task.cancel()
        ticker = getattr(self, "_ticker", None)
        if ticker is not None:
            ticker.cancel()
        for child in getattr(self, "_result_children", ()):
            child.close()
        self._result_children = []
        self._unwire()  # cost, Use in…, Live (_app_wiring)
        super().close()


def _is_validation(exc: BaseException | None) -> bool:
    return exc is not None and any(k.__name__ == "InputRejected" for k in type(exc).__mro__)


def _field_loc(error: Any) -> list[Any]:
    loc = list(error.get("loc") or []) if isinstance(error, dict) else []
    return loc[1:] if loc[:1] == ["body"] else loc


def prefill(form: Any, inputs: Mapping[str, Any]) -> None:
    """Set some of a form's fields; an unknown field is an error naming the known ones."""
    if not isinstance(inputs, Mapping):
        raise TypeError(f"inputs must be a dict of field values, got {type(inputs).__name__}")
    known = set(form.fields)
    unknown = [k for k in inputs if k not in known]
    if unknown:
        raise ValueError(
            f"inputs: no field {unknown[0]!r} in this form; fields: {', '.join(sorted(known))}"
        )
    form.value = {**form.value, **inputs}


def _field_names(errors: Any) -> list[str]:
    names = [".".join(map(str, _field_loc(e))) or "input" for e in errors or ()]
    return list(dict.fromkeys(names))


def app(
    endpoint_or_model: Any,
    *,
    client: Any = None,
    endpoint: str | None = None,
    timeout: float | None = DEFAULT_TIMEOUT,
    uploader: Any = None,
    data_uris: bool = False,
    inputs: Mapping[str, Any] | None = None,
) -> App:
    """A runnable Playground for an endpoint id, an EndpointSchema, a served function or a model.

    With no ``client``: ``FAL_KEY`` in the environment means real fal, otherwise the embedded local
    server (started once per kernel); the app's last line says which. ``FALWIDGETS_LOCAL=1`` forces
    the local server even when ``FAL_KEY`` is set (offline demos, tests, workshop rehearsals).

    Files the user uploads go to the runs' host; pass ``uploader(data, content_type, file_name)
    -> url`` to send them elsewhere, or ``data_uris=True`` to inline them as ``data:`` URIs.
    ``inputs={field: value}`` pre-fills the form (a chained result's URL, a compare's arguments).
    """
    if data_uris:
        if uploader is not None:
            raise TypeError("pass either uploader= or data_uris=True, not both")
        from falwidgets.widgets._form import data_uri_uploader

        uploader = data_uri_uploader
    timeout = checked_timeout(timeout)
    return App(
        resolve(endpoint_or_model, endpoint),
        client=client,
        timeout=timeout,
        uploader=uploader,
        inputs=inputs,
    )
