"""Journal writes: the group-commit writer thread against a plain commit per write.

Question (code review §1.5.2): does ``client/_journal_writer.py`` (one thread per journal file
that commits every queued statement in one transaction) earn its 227 lines over the obvious
design, a connection per thread and one autocommitted statement per write? Both run the same SQL
(``Journal.write_submit``/``write_final``) on the same file settings (WAL,
``synchronous=NORMAL``); only the writer differs. Each job does what a ``subscribe`` does to the
journal: a submit row it waits for, then a final state it does not wait for. Jobs run on
``concurrency`` threads, as the sync client's callers do (the async driver hands the plain
writer's commits to worker threads the same way).

Run: ``.venv/bin/python bench/journal.py`` (about a minute; writes its section of RESULTS.md).
"""

from __future__ import annotations

import asyncio
import sqlite3
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from typing import Any

import psutil

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _results import write_section
from falwidgets.client._journal import Journal


class CommitPerWrite:
    """The alternative writer: this thread's own connection, one autocommit per statement."""

    def __init__(self, connect: Callable[[], sqlite3.Connection]) -> None:
        self._connect = connect
        self._local = threading.local()

    def put(self, sql: str, params: Sequence[Any], *, what: str, request_id: str) -> Future[None]:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = self._connect()
        conn.execute(sql, params)
        done: Future[None] = Future()
        done.set_result(None)
        return done

    def flush(self, timeout: float | None = None) -> None:
        return None


def _row(n: int) -> dict[str, Any]:
    rid = f"r{n}"
    url = f"https://queue.fal.run/fal-ai/flux/requests/{rid}"
    return {
        "request_id": rid,
        "endpoint": "fal-ai/flux/dev",
        "base": "https://queue.fal.run",
        "status_url": f"{url}/status",
        "response_url": url,
        "cancel_url": f"{url}/cancel",
        "arguments": {"prompt": f"a fox number {n}", "seed": n},
    }


def one_async_run(plain: bool, jobs: int, concurrency: int) -> tuple[float, float, float]:
    """The async driver's pattern: coroutines on one loop; the group-commit writer is awaited
    through its future (``Wait``), the plain writer runs in a worker thread (``Blocking``)."""
    with tempfile.TemporaryDirectory() as tmp:
        journal = Journal(Path(tmp) / "journal.sqlite3")
        if plain:
            journal._writer = CommitPerWrite(journal._open_connection)  # type: ignore[assignment]
        journal.entries(limit=1)
        waits: list[float] = []

        async def job(n: int, gate: asyncio.Semaphore) -> None:
            async with gate:
                started = time.perf_counter()
                if plain:
                    await asyncio.to_thread(journal.write_submit, **_row(n))
                else:
                    await asyncio.wrap_future(journal.write_submit(**_row(n)))
                waits.append(time.perf_counter() - started)
                final = {"result": {"images": [{"url": f"u{n}"}]}}
                if plain:
                    await asyncio.to_thread(journal.write_final, f"r{n}", "COMPLETED", **final)
                else:
                    journal.write_final(f"r{n}", "COMPLETED", **final)

        async def main() -> None:
            gate = asyncio.Semaphore(concurrency)
            await asyncio.gather(*(job(n, gate) for n in range(jobs)))

        process = psutil.Process()
        cpu_before = process.cpu_times()
        started = time.perf_counter()
        asyncio.run(main())
        journal.flush()
        wall = time.perf_counter() - started
        cpu_after = process.cpu_times()
        cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
        assert len(journal.entries(status="COMPLETED")) == jobs
        return wall, cpu / jobs * 1000, statistics.median(waits) * 1000


def one_run(plain: bool, jobs: int, concurrency: int) -> tuple[float, float, float]:
    """Wall seconds, CPU ms per job and the median submit-row wait in ms (threads)."""
    with tempfile.TemporaryDirectory() as tmp:
        journal = Journal(Path(tmp) / "journal.sqlite3")
        if plain:
            journal._writer = CommitPerWrite(journal._open_connection)  # type: ignore[assignment]
        journal.entries(limit=1)  # create the file and schema outside the timing
        waits: list[float] = []
        lock = threading.Lock()

        def job(n: int) -> None:
            rid = f"r{n}"
            started = time.perf_counter()
            journal.write_submit(
                request_id=rid,
                endpoint="fal-ai/flux/dev",
                base="https://queue.fal.run",
                status_url=f"https://queue.fal.run/fal-ai/flux/requests/{rid}/status",
                response_url=f"https://queue.fal.run/fal-ai/flux/requests/{rid}",
                cancel_url=f"https://queue.fal.run/fal-ai/flux/requests/{rid}/cancel",
                arguments={"prompt": f"a fox number {n}", "seed": n},
            ).result()
            waited = time.perf_counter() - started
            journal.write_final(rid, "COMPLETED", result={"images": [{"url": f"u{n}"}]})
            with lock:
                waits.append(waited)

        process = psutil.Process()
        cpu_before = process.cpu_times()
        started = time.perf_counter()
        with ThreadPoolExecutor(concurrency) as pool:
            list(pool.map(job, range(jobs)))
        journal.flush()
        wall = time.perf_counter() - started
        cpu_after = process.cpu_times()
        cpu = (cpu_after.user - cpu_before.user) + (cpu_after.system - cpu_before.system)
        assert len(journal.entries(status="COMPLETED")) == jobs
        return wall, cpu / jobs * 1000, statistics.median(waits) * 1000


def main() -> None:
    jobs, runs = 2000, 3
    rows = []
    for label, run, concurrency in (
        ("threads", one_run, 1),
        ("threads", one_run, 16),
        ("threads", one_run, 64),
        ("asyncio", one_async_run, 64),
    ):
        for plain in (False, True):
            results = [run(plain, jobs, concurrency) for _ in range(runs)]
            wall = statistics.median(r[0] for r in results)
            cpu = statistics.median(r[1] for r in results)
            wait = statistics.median(r[2] for r in results)
            name = "commit per write" if plain else "group-commit thread"
            where = f"{concurrency} {label}"
            rows.append(f"| {where} | {name} | {jobs / wall:,.0f} | {cpu:.3f} | {wait:.3f} |")
    table = "\n".join(rows)
    body = f"""
{jobs} jobs per run, each a submit row (waited for) and a final state (not waited for), on
`concurrency` threads (or coroutines on one loop, as the async driver runs them: the group-commit
future awaited, the plain writer in a worker thread); median of {runs} runs per row. Same SQL
and file settings (WAL, `synchronous=NORMAL`) for both writers.

| concurrency | writer | jobs/s | CPU ms/job | submit-row wait, median ms |
|---|---|---|---|---|
{table}
"""
    write_section("journal", ".venv/bin/python bench/journal.py", body)
    print(body)


if __name__ == "__main__":
    main()
