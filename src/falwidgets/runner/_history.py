"""The history's policy, not its view: resuming runs left in flight, what tells runs apart.

The journal (client layer) is the source of truth. Opening the history resumes runs that were in
flight when a kernel died: their journal entries have no final state, so each is followed again
through the client, which records the outcome (`HistoryResume`). The anywidget that lists runs is
in ``_history_widget.py``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import inspect
import json
from typing import Any
from urllib.parse import urlsplit

from falwidgets.runner import _loop
from falwidgets.runner._app import App
from falwidgets.runner._backend import Backend, backend_for
from falwidgets.runner._entry import EntryView
from falwidgets.runner._errors import describe
from falwidgets.runner._run import Run, drive

RESUME_TIMEOUT = 300.0
UPLOAD_AGAIN = "upload again: this file was inlined as a data URI too large for the history"


def rerun_blocker(fields: list[str]) -> str:
    """Why a past run cannot be sent again as it was (its uploads were not kept)."""
    names = ", ".join(fields)
    return (
        f"the file in {names} was uploaded as a data URI over 64 KB, which the history does not "
        "keep; Load the run, upload the file again, then Run"
    )


PROMPT_KEYS = ("prompt", "text", "text_prompt", "query", "input")
_VIDEO_EXT = (".mp4", ".webm", ".mov", ".m4v")
_AUDIO_EXT = (".mp3", ".wav", ".ogg", ".flac", ".m4a", ".aac")
_MODEL_EXT = (".glb", ".gltf", ".obj", ".ply", ".stl", ".fbx", ".usdz")


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


def prompt_of(arguments: dict[str, Any]) -> str | None:
    for key in PROMPT_KEYS:
        value = arguments.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


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


class HistoryResume:
    """Following runs left in flight by a dead kernel, whatever draws the history.

    The view (``runner/_history_widget.py``) sets ``apps``, ``_client``, ``_backend``, ``notes``,
    ``resumed``, ``_resume_task`` and ``_closed`` and implements ``pending()`` and ``refresh()``.
    """

    apps: dict[str, App]
    notes: dict[str, str]
    resumed: list[Run]
    _client: Any
    _backend: Backend | None
    _resume_task: concurrent.futures.Future[None] | None
    _closed: bool

    def pending(self) -> list[EntryView]:
        raise NotImplementedError

    def refresh(self) -> None:
        raise NotImplementedError

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

        return AsyncClient(retry=RetryPolicy(max_attempts=1))

    async def _resume_one(self, view: EntryView) -> Run:
        client = self._client_for(view)
        run = Run(endpoint=view.endpoint, arguments=dict(view.arguments), state="queued")
        run.request_id = view.request_id
        self.resumed.append(run)
        try:
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

    async def wait(self, timeout: float | None = None) -> HistoryResume:
        """``await history.wait()``: until resumed runs have finished."""
        if self._resume_task is not None:
            await _loop.wait_for(self._resume_task, timeout)
        return self


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
