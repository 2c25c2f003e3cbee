"""Group commit of journal writes: batched, ordered, never lost, never hanging, read-your-writes."""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import sqlite3
import subprocess
import sys
import textwrap
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from client_fakes import BASE, journal_submit, submitted

from falwidgets.client import AsyncClient, Client, _journal_writer
from falwidgets.client._journal import Journal
from falwidgets.client._journal_writer import JournalWriter


def _submit(j: Journal, rid: str, **args: Any) -> Any:
    return journal_submit(j, rid, "fal-ai/flux", **args)


def test_concurrent_writes_share_transactions_and_all_land(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    commits: list[int] = []
    real = JournalWriter._commit

    def counting(conn: sqlite3.Connection, batch: list[Any]) -> bool:
        commits.append(len(batch))
        return real(conn, batch)

    j._writer._commit = counting  # type: ignore[method-assign]

    def many(t: int) -> None:
        futures = [_submit(j, f"t{t}-{n}", n=n) for n in range(50)]
        for future in futures:
            future.result(timeout=30)

    threads = [threading.Thread(target=many, args=(t,)) for t in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(j.entries()) == 400
    assert sum(commits) == 400
    assert len(commits) < 400  # group commit: fewer transactions than writes
    assert max(commits) > 1


def test_final_state_is_read_back_at_once_without_waiting(tmp_path: Path) -> None:
    """write_final is fire-and-forget for the caller; readers in the process flush first, and the
    final state is never applied before the submit row it updates (one queue, in order)."""
    j = Journal(tmp_path / "j.sqlite3")
    for n in range(100):
        _submit(j, f"r{n}")  # not waited for either
        j.write_final(f"r{n}", "COMPLETED", result={"n": n})
    entries = j.entries()
    assert len(entries) == 100
    assert {e.status for e in entries} == {"COMPLETED"}
    assert sorted(e.result["n"] for e in entries) == list(range(100))


def test_a_failing_statement_is_logged_alone(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    _submit(j, "good-1")
    bad = j._writer.put("INSERT INTO no_such_table VALUES (1)", (), what="submit", request_id="x9")
    good = _submit(j, "good-2")
    with caplog.at_level(logging.WARNING, logger="falwidgets.client"):
        assert bad.result(timeout=10) is None  # resolved, not raised: the call goes on
        good.result(timeout=10)
    assert [e.request_id for e in j.entries()] == ["good-2", "good-1"]
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 1 and "x9" in warned[0] and "no_such_table" in warned[0]


def test_an_unopenable_file_resolves_every_write_and_logs_each(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a directory")
    j = Journal(blocker / "j.sqlite3")  # its parent is a file: mkdir fails
    with caplog.at_level(logging.WARNING, logger="falwidgets.client"):
        futures = [_submit(j, f"r{n}") for n in range(3)]
        futures.append(j.write_final("r0", "FAILED", error="boom"))
        for future in futures:
            assert future.result(timeout=10) is None
    warned = [r.getMessage() for r in caplog.records]
    assert len(warned) == 4
    assert sum("the submit of request r" in m for m in warned) == 3
    assert any("the final state of request r0" in m for m in warned)


def test_the_thread_goes_when_idle_and_comes_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(_journal_writer, "IDLE_SECONDS", 0.05)
    j = Journal(tmp_path / "j.sqlite3")
    _submit(j, "a").result(timeout=10)
    first = j._writer._thread
    assert first is not None
    first.join(timeout=5)
    assert not first.is_alive() and j._writer._thread is None
    _submit(j, "b").result(timeout=10)
    assert [e.request_id for e in j.entries()] == ["b", "a"]


def test_queued_writes_reach_the_file_when_the_process_exits(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    script = textwrap.dedent(
        f"""
        from falwidgets.client._journal import Journal
        j = Journal({str(path)!r})
        j.write_submit(request_id="r1", endpoint="e/p", base="b", status_url="s",
                        response_url="u", cancel_url="c", arguments={{}}).result()
        for n in range(200):  # queued, nobody waits; the interpreter exits right after
            j.write_final("r1", "COMPLETED", result={{"n": n}})
        """
    )
    subprocess.run([sys.executable, "-c", script], check=True, timeout=60)
    entry = Journal(path).get("r1")
    assert entry is not None and entry.status == "COMPLETED" and entry.result == {"n": 199}


def test_a_read_waits_briefly_for_a_writer_blocked_by_another_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Another process holding the write lock delays our queued write, never our reads."""
    from falwidgets.client import _journal

    monkeypatch.setattr(_journal, "READ_FLUSH_SECONDS", 0.3)
    j = Journal(tmp_path / "j.sqlite3")
    _submit(j, "first").result(timeout=10)
    other = sqlite3.connect(j.path, isolation_level=None)
    other.execute("BEGIN IMMEDIATE")  # holds the write lock, like a busy second kernel
    try:
        queued = _submit(j, "second")
        started = time.monotonic()
        assert [e.request_id for e in j.entries()] == ["first"]  # stale, not stuck
        assert time.monotonic() - started < 5
        assert not queued.done()
    finally:
        other.execute("COMMIT")
        other.close()
    queued.result(timeout=30)
    assert [e.request_id for e in j.entries()] == ["second", "first"]


class _Locked:
    """Another process's write lock on the journal file while the block runs."""

    def __init__(self, path: Path) -> None:
        self.conn = sqlite3.connect(path, isolation_level=None)

    def __enter__(self) -> _Locked:
        self.conn.execute("BEGIN IMMEDIATE")
        return self

    def __exit__(self, *exc: object) -> None:
        self.conn.execute("COMMIT")
        self.conn.close()


def _queue_answers(request: httpx.Request) -> httpx.Response:
    rid = f"req-{request.headers.get('x-n', '1')}"
    return httpx.Response(200, json=submitted(rid))


def test_submit_returns_only_once_its_row_is_on_disk(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    _submit(j, "earlier").result(timeout=10)  # creates the file and its tables
    client = Client(transport=httpx.MockTransport(_queue_answers), base_url=BASE, journal=j)
    returned = threading.Event()
    with _Locked(j.path):
        worker = threading.Thread(
            target=lambda: (client.submit("fal-ai/flux", {}), returned.set()), daemon=True
        )
        worker.start()
        assert not returned.wait(0.5)  # the server answered; the journal cannot commit yet
    assert returned.wait(30)
    assert sqlite3.connect(j.path).execute(
        "SELECT count(*) FROM requests WHERE request_id = 'req-1'"
    ).fetchone() == (1,)
    client.close()


def test_a_cancelled_waiter_neither_loses_its_row_nor_stops_the_writer(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    _submit(j, "earlier").result(timeout=10)

    async def main() -> None:
        async with AsyncClient(
            transport=httpx.MockTransport(_queue_answers), base_url=BASE, journal=j
        ) as client:
            with _Locked(j.path), pytest.raises(TimeoutError):
                await asyncio.wait_for(client.submit("fal-ai/flux", {}), 0.3)
            handle = await asyncio.wait_for(
                client.submit("fal-ai/flux", {}, headers={"x-n": "2"}), 30
            )
            assert handle.request_id == "req-2"

    asyncio.run(main())
    assert {e.request_id for e in j.entries()} == {"earlier", "req-1", "req-2"}
    assert j._writer._thread is None or j._writer._thread.is_alive()


def test_writes_go_through_when_no_thread_can_start(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    j = Journal(tmp_path / "j.sqlite3")

    def refuse(self: threading.Thread) -> None:
        raise RuntimeError("can't create new thread at interpreter shutdown")

    monkeypatch.setattr(threading.Thread, "start", refuse)
    future = _submit(j, "r1")
    assert future.done()  # written on the caller's thread instead
    monkeypatch.undo()
    assert [e.request_id for e in j.entries()] == ["r1"]


def _child_writes(path: str) -> None:
    j = Journal(path)
    j.write_submit(
        request_id="r1",
        endpoint="e/p",
        base="b",
        status_url="s",
        response_url="u",
        cancel_url="c",
        arguments={},
    ).result()
    j.write_final("r1", "COMPLETED", result={"ok": True})  # not waited for; os._exit follows


@pytest.mark.skipif(
    "fork" not in multiprocessing.get_all_start_methods(), reason="needs the fork start method"
)
def test_forked_multiprocessing_children_flush_before_they_exit(tmp_path: Path) -> None:
    path = tmp_path / "j.sqlite3"
    child = multiprocessing.get_context("fork").Process(target=_child_writes, args=(str(path),))
    child.start()
    child.join(60)
    assert child.exitcode == 0
    entry = Journal(path).get("r1")
    assert entry is not None and entry.status == "COMPLETED" and entry.result == {"ok": True}
