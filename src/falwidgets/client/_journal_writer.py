"""Group commit for the journal: one thread per journal writes queued statements in batches.

A submit must be on disk before it returns, and at 64 concurrent jobs one transaction and one
worker-thread hop per write put the journal on every job's critical path. Here writers queue a
statement and get a future; the thread commits everything queued so far in one transaction and
resolves the futures. Final states are queued without waiting (a crash before their commit leaves
the entry SUBMITTED, which resumes to the same result); readers flush first, so a process always
reads its own writes, and queued writes are flushed at interpreter exit.

A failed write never fails the call that made it: the server has the request, so the error is
logged with the request id (keep it to resume) and the future resolves all the same.
Why a thread, measured (``bench/journal.py``, results in ``bench/RESULTS.md``): against the
obvious design (a connection per thread, one autocommit per statement, the async driver handing
each write to a worker thread), 64 jobs on one event loop, the async client's real pattern, run
about 2.8x more jobs per second with under half the CPU per job and a shorter submit wait here.
With threads the picture is mixed (plain commits wait less; at 64 threads the thread still does
more jobs per second with half the CPU), so the asyncio case decides.
"""

from __future__ import annotations

import atexit
import contextlib
import logging
import os
import sqlite3
import threading
import weakref
from collections.abc import Callable, Sequence
from concurrent.futures import Future
from typing import Any, NamedTuple

__all__ = ["JournalWriter"]

logger = logging.getLogger("falwidgets.client")

IDLE_SECONDS = 5.0  # the thread (and its connection) go after this long without writes
BATCH = 512


class _Write(NamedTuple):
    sql: str
    params: Sequence[Any]
    what: str
    request_id: str
    done: Future[None]


class JournalWriter:
    """Queues statements for one journal file and commits them on its own thread."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._cond = threading.Condition()
        self._queue: list[_Write] = []
        self._queued = 0  # statements ever queued / ever finished: flush() waits for the gap
        self._finished = 0
        self._thread: threading.Thread | None = None
        _LIVE.add(self)

    def put(self, sql: str, params: Sequence[Any], *, what: str, request_id: str) -> Future[None]:
        """Queue one statement; the future resolves once it is committed (or its failure logged).

        The future is marked running at once, so cancelling a waiter (an asyncio task wrapping
        it) cannot cancel the write itself: the server has the request, the row must land.
        """
        done: Future[None] = Future()
        done.set_running_or_notify_cancel()
        _flush_at_child_exit()
        with self._cond:
            self._queue.append(_Write(sql, params, what, request_id, done))
            self._queued += 1
            if self._thread is not None:
                self._cond.notify_all()
                return done
            thread = threading.Thread(target=self._run, name="falwidgets-journal", daemon=True)
            try:
                thread.start()
            except RuntimeError:  # no threads left, or the interpreter is shutting down
                started = False
            else:
                started = True
                self._thread = thread
        if not started:
            self._drain()  # write it here and now rather than never
        return done

    def flush(self, timeout: float | None = 30.0) -> None:
        """Wait until every statement queued before this call is committed (or logged)."""
        with self._cond:
            target = self._queued
            self._cond.wait_for(lambda: self._finished >= target, timeout)

    def _run(self) -> None:
        conn: sqlite3.Connection | None = None
        try:
            while True:
                with self._cond:
                    if not self._queue:
                        self._cond.wait(IDLE_SECONDS)
                    if not self._queue:
                        return
                    batch, self._queue = self._queue[:BATCH], self._queue[BATCH:]
                conn = self._write(conn, batch)
        finally:
            if conn is not None:
                conn.close()
            with self._cond:  # put() starts a new thread from here on
                if self._thread is threading.current_thread():
                    self._thread = None
                left, self._queue = self._queue, []
            if left:  # only after an unexpected error: these must not wait forever
                self._drain(left)

    def _drain(self, batch: list[_Write] | None = None) -> None:
        """Write ``batch`` (default: all that is queued) on the calling thread."""
        if batch is None:
            with self._cond:
                batch, self._queue = self._queue, []
        if batch:
            conn = self._write(None, batch)
            if conn is not None:
                conn.close()

    def _write(self, conn: sqlite3.Connection | None, batch: list[_Write]) -> Any:
        """Commit ``batch`` and resolve its futures, whatever happens; returns the connection to
        reuse (None after a failure, so the next batch starts on a fresh one)."""
        try:
            if conn is None:
                conn = self._open(batch)
            if conn is not None and not self._commit(conn, batch):
                conn.close()
                conn = None
        except BaseException as error:  # never leave a waiter hanging
            for write in batch:
                _warn(write, error)
            if conn is not None:
                with contextlib.suppress(Exception):
                    conn.close()
            conn = None
            raise
        finally:
            with self._cond:
                self._finished += len(batch)
                self._cond.notify_all()
            for write in batch:
                if not write.done.done():
                    write.done.set_result(None)
        return conn

    def _open(self, batch: list[_Write]) -> sqlite3.Connection | None:
        try:
            return self._connect()
        except Exception as error:  # anything: no future may be left unresolved
            for write in batch:
                _warn(write, error)
            return None

    @staticmethod
    def _commit(conn: sqlite3.Connection, batch: list[_Write]) -> bool:
        """One transaction for the batch; a statement that fails alone is logged alone. False
        when the transaction itself failed (every statement in it is logged)."""
        failed: list[tuple[_Write, Exception]] = []
        committed = True
        try:
            conn.execute("BEGIN IMMEDIATE")
            for write in batch:
                try:
                    conn.execute(write.sql, write.params)
                except sqlite3.Error as error:
                    if not conn.in_transaction:  # SQLite rolled back the whole batch (disk full)
                        raise
                    failed.append((write, error))
            conn.execute("COMMIT")
        except Exception as error:  # anything: no future may be left unresolved
            committed = False
            with contextlib.suppress(Exception):
                conn.execute("ROLLBACK")
            failed = [(write, error) for write in batch]
        for write, failure in failed:
            _warn(write, failure)
        return committed


def _warn(write: _Write, error: BaseException) -> None:
    logger.warning(
        "falwidgets: could not record the %s of request %s in the journal (%s: %s); the "
        "request is unaffected: keep its id to resume it with Handle.from_request_id",
        write.what,
        write.request_id,
        type(error).__name__,
        error,
    )


_LIVE: weakref.WeakSet[JournalWriter] = weakref.WeakSet()


@atexit.register
def _flush_all() -> None:
    """Queued final states reach the disk when the interpreter exits normally."""
    for writer in list(_LIVE):
        writer.flush(timeout=10.0)


_forked = False  # set in a forked child until its exit flush is registered


def _flush_at_child_exit() -> None:
    """multiprocessing children end with ``os._exit`` (no atexit): flush through its own
    finalizers instead. Registered lazily, once per child: the child clears them at start."""
    global _forked
    if not _forked:
        return
    _forked = False
    import multiprocessing
    import multiprocessing.util

    if multiprocessing.parent_process() is not None:
        multiprocessing.util.Finalize(None, _flush_all, exitpriority=0)


def _forget_in_child() -> None:
    """A forked child has none of the parent's threads: its writers start afresh and empty."""
    global _forked
    _forked = True
    for writer in list(_LIVE):
        writer._cond = threading.Condition()
        writer._queue, writer._thread = [], None
        writer._queued = writer._finished = 0


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_in_child)
