"""The history's policy, not its view: resuming runs left in flight, what tells runs apart.

The journal (client layer) is the source of truth. Opening the history resumes runs that were in
flight when a kernel died: their journal entries have no final state, so each is followed again
through the client, which records the outcome (`HistoryResume`). The anywidget that lists runs is
in ``_history_widget.py``.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
from typing import TYPE_CHECKING, Any

from falwidgets.runner import _loop
from falwidgets.runner._backend import Backend, backend_for
from falwidgets.runner._entry import EntryView
from falwidgets.runner._entry import first_media as first_media
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
    from typing_extensions import Self

    from falwidgets.runner._app import App

__all__ = [
    "PROMPT_KEYS",
    "RESUME_TIMEOUT",
    "UPLOAD_AGAIN",
    "HistoryResume",
    "first_media",
    "prompt_of",
    "rerun_blocker",
    "varying_keys",
]

UPLOAD_AGAIN = "upload again: this file was inlined as a data URI too large for the history"
PROMPT_KEYS = ("prompt", "text", "text_prompt", "query", "input")


def rerun_blocker(fields: list[str]) -> str:
    """Why a past run cannot be sent again as it was (its uploads were not kept)."""
    names = ", ".join(fields)
    return (
        f"the file in {names} was uploaded as a data URI over 64 KB, which the history does not "
        "keep; Load the run, upload the file again, then Run"
    )


def prompt_of(arguments: dict[str, Any]) -> str | None:
    """The run's prompt (the first non-empty text under a usual prompt key), shown on its row."""
    for key in PROMPT_KEYS:
        value = arguments.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def varying_keys(views: list[EntryView]) -> dict[str, tuple[str, ...]]:
    """Per endpoint, the scalar inputs whose values differ between its runs (seed, guidance…):
    what tells one row from the next. Prompts are shown anyway, so they are left out."""
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
    """Following runs left in flight by a dead kernel, whatever draws the history (the policy is
    in ``_resume``).

    The view (``runner/_history_widget.py``) sets ``apps``, ``_client``, ``_backend``, ``notes``,
    ``resumed``, ``_resume_task`` and ``_closed`` and implements ``pending()`` and ``refresh()``.
    """

    apps: dict[str, App]
    notes: dict[str, str]
    resumed: list[Run]
    _client: Any
    _backend: Backend | None
    _resume_task: concurrent.futures.Future[None] | None
    _followers: list[concurrent.futures.Future[None]]
    _closed: bool

    def pending(self) -> list[EntryView]:
        raise NotImplementedError

    def refresh(self) -> None:
        raise NotImplementedError

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

    def resume_pending(self) -> concurrent.futures.Future[None] | None:
        """Follow every in-flight entry to its end through the client, then refresh the rows.

        Runs on the runner loop; in a plain script this waits until they have finished.
        """
        pending = self.pending()
        origins = client_origins(self.backend.client)
        todo = []
        for view in pending:
            if resumable(view, origins):
                todo.append(view)
            else:
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

    async def wait_async(self, timeout: float | None = None) -> Self:
        """``await history.wait_async()``: until resumed runs and followed reruns have finished."""
        waits = (_loop.wait_for(f) for f in self._in_flight())
        await asyncio.wait_for(asyncio.gather(*waits, return_exceptions=True), timeout)
        return self

    def wait(self, timeout: float | None = None) -> Self:
        """Block until resumed runs and followed reruns have finished (``TimeoutError`` after
        ``timeout`` seconds; the work itself keeps going)."""
        _loop.wait_all(self._in_flight(), timeout)
        return self
