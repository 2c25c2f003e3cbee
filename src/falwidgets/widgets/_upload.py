"""Uploads off the kernel thread: the uploader runs in a worker, the result lands on the kernel.

A widget callback runs on the kernel's event loop; a blocking upload there freezes the notebook
(no other widget events, no output) for as long as the network takes. So the bytes are copied
off the `FileUpload` widget, sent from a small shared thread pool, and the field is updated back
on the event loop (`call_soon_threadsafe`) when the upload finishes. Without a running loop (plain
scripts, tests) the worker thread applies it. `Form.wait_uploads(timeout)` applies finished
uploads at once, which is what a cell that blocks the loop needs.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
import threading
import time
from collections.abc import Callable, Iterable
from typing import Protocol

log = logging.getLogger("falwidgets.widgets")
_POOL: concurrent.futures.ThreadPoolExecutor | None = None
_POOL_LOCK = threading.Lock()


def _pool() -> concurrent.futures.ThreadPoolExecutor:
    global _POOL
    with _POOL_LOCK:
        if _POOL is None:
            _POOL = concurrent.futures.ThreadPoolExecutor(
                max_workers=4, thread_name_prefix="falwidgets-upload"
            )
        return _POOL


class _Target(Protocol):
    def upload_finished(self, job: Upload) -> None: ...


class Upload:
    """One upload of one or more files from one field (`urls` or `error` when done)."""

    def __init__(
        self,
        field: _Target,
        files: list[tuple[bytes, str, str]],
        seq: int,
        pending: set[Upload],
    ) -> None:
        self.field = field
        self.names = [name for _, _, name in files]
        self.seq = seq
        self.urls: list[str] = []
        self.error: str | None = None
        self.finished = threading.Event()
        self._files: list[tuple[bytes, str, str]] | None = files
        self._pending = pending
        self._claimed = False
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self.future: concurrent.futures.Future[list[str]] | None = None

    def start(self, uploader: Callable[[bytes, str, str], str]) -> None:
        try:
            self._loop = asyncio.get_running_loop()  # the kernel's loop, inside a widget callback
        except RuntimeError:
            self._loop = None
        self._pending.add(self)
        self.future = _pool().submit(self._send, uploader)
        self.future.add_done_callback(self._done)

    def _send(self, uploader: Callable[[bytes, str, str], str]) -> list[str]:
        files, self._files = self._files or [], None  # the bytes are not kept after sending
        urls = []
        for data, content_type, name in files:
            url = uploader(data, content_type, name)
            if not isinstance(url, str) or not url:
                raise TypeError("the uploader returned no URL")
            urls.append(url)
        return urls

    def _done(self, future: concurrent.futures.Future[list[str]]) -> None:
        loop = self._loop
        if loop is not None and not loop.is_closed():
            try:
                loop.call_soon_threadsafe(self.apply)
                return
            except RuntimeError:  # the loop closed meanwhile
                pass
        self.apply()

    def apply(self) -> None:
        """Hand the result to the field, once, whichever thread gets here first."""
        with self._lock:
            if self._claimed or self.future is None or not self.future.done():
                return
            self._claimed = True
        try:
            exc = self.future.exception()
            if exc is not None:
                text = str(exc).strip()
                self.error = text.splitlines()[0][:300] if text else type(exc).__name__
            else:
                self.urls = self.future.result()
            try:
                self.field.upload_finished(self)
            except Exception:  # never raise into the loop or a worker; a bug, so log it
                log.exception("applying the upload of %s failed", ", ".join(self.names))
        finally:
            self._pending.discard(self)
            self.finished.set()


def wait_all(pending: Iterable[Upload], timeout: float) -> None:
    """Wait for uploads and apply their results now; `TimeoutError` if some are still running."""
    deadline = time.monotonic() + timeout
    late: list[str] = []
    for job in list(pending):
        remaining = max(0.0, deadline - time.monotonic())
        if job.future is not None:
            concurrent.futures.wait([job.future], timeout=remaining)
        job.apply()
        if not job.finished.wait(max(0.0, deadline - time.monotonic())):
            late.extend(job.names)
    if late:
        raise TimeoutError(f"uploads still running after {timeout:g} s: {', '.join(late)}")
