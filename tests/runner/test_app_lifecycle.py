"""Stopping, closing and resuming: nothing keeps running on a server, leaks a key or a widget."""

from __future__ import annotations

import asyncio
import sqlite3
import threading
from typing import Any

import httpx
import pytest
from app_fixtures import STUCK, accepted_stuck

import falwidgets
from _wait import async_wait_until
from falwidgets.client import AsyncClient, RetryPolicy
from falwidgets.client._journal import default_journal
from falwidgets.runner import Sweep
from falwidgets.runner._sweep_widget import images_of

QUEUE = STUCK


class SlowServer:
    """A fake queue whose submit answer is slow (the job exists before the client hears of it)
    and whose jobs stay queued; it counts submits and cancels."""

    def __init__(self, submit_delay: float = 0.4) -> None:
        self.delay = submit_delay
        self.posts = 0
        self.cancels: list[str] = []

    async def __call__(self, request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            self.posts += 1
            await asyncio.sleep(self.delay)
            return accepted_stuck()
        if request.method == "PUT":
            self.cancels.append(str(request.url))
            return httpx.Response(202, json={"status": "CANCELLATION_REQUESTED"})
        await asyncio.sleep(0.05)
        if request.url.path.endswith("/stream"):
            return httpx.Response(
                200,
                text='data: {"status": "IN_QUEUE", "queue_position": 3}\n\n',
                headers={"content-type": "text/event-stream"},
            )
        return httpx.Response(200, json={"status": "IN_QUEUE", "queue_position": 3})

    def client(self) -> AsyncClient:
        return AsyncClient(
            key="fake-key-123456",
            transport=httpx.MockTransport(self),
            retry=RetryPolicy(max_attempts=1),
        )


def test_cancel_during_submit_lets_the_submit_finish_then_cancels_on_the_server() -> None:
    server = SlowServer()

    async def scenario() -> Any:
        ui = falwidgets.app("fal-ai/flux-realism", client=server.client(), timeout=30)
        run = ui.submit({"prompt": "x"})
        await async_wait_until(lambda: server.posts == 1, 5, "the POST in flight")
        ui.cancel()
        await async_wait_until(lambda: run.done and server.cancels, 10, "the run cancelled")
        return run

    run = asyncio.run(scenario())
    assert run.state == "cancelled" and run.request_id == "rid-stuck"
    assert server.posts == 1 and server.cancels == [QUEUE + "/cancel"]
    assert [e.request_id for e in falwidgets.journal()] == ["rid-stuck"]


def test_close_while_queued_cancels_on_the_server_and_closes_every_widget() -> None:
    server = SlowServer(submit_delay=0.0)

    async def scenario() -> Any:
        ui = falwidgets.app("fal-ai/flux-realism", client=server.client(), timeout=30)
        run = ui.submit({"prompt": "y"})
        await async_wait_until(lambda: run.state == "queued", 5, "the run queued")
        ui.close()
        await async_wait_until(lambda: run.done and server.cancels, 10, "the run cancelled")
        return ui, run

    ui, run = asyncio.run(scenario())
    assert run.state == "cancelled" and server.cancels == [QUEUE + "/cancel"]
    assert ui.comm is None  # one model for the whole app: nothing else to leak


def test_sweep_cancel_during_submit_cancels_on_the_server() -> None:
    server = SlowServer()

    async def scenario() -> Sweep:
        s = Sweep("fal-ai/flux-realism", {}, {"seed": [1, 2]}, client=server.client())
        s.start()
        await async_wait_until(lambda: server.posts == 2, 5, "both POSTs in flight")
        s.cancel()
        await s.wait_async(10)
        await async_wait_until(lambda: len(server.cancels) == 2, 10, "two cancels")
        return s

    s = asyncio.run(scenario())
    assert [p.run.state for p in s.points] == ["cancelled", "cancelled"]
    assert server.posts == 2 and len(server.cancels) == 2


def test_a_cancelled_sweep_never_runs_when_waited_on() -> None:
    server = SlowServer(submit_delay=0.0)
    s = Sweep("fal-ai/flux-realism", {}, {"seed": [1, 2]}, client=server.client())
    s.cancel()
    s.wait(5)
    assert [p.run.state for p in s.points] == ["cancelled", "cancelled"]
    assert server.posts == 0 and falwidgets.journal() == []
    s.close()
    assert s.comm is None


def test_sweep_cells_show_only_safe_image_urls() -> None:
    png = "data:image/png;base64," + "A" * 1000
    assert [i["url"] for i in images_of({"images": [{"url": png}]})] == [png]  # sent once
    assert images_of({"images": [{"url": "javascript:alert(1)//.png"}]}) == []
    both = {"images": [{"url": "https://x.org/a.png"}, {"url": "https://x.org/b.png"}]}
    assert [i["url"] for i in images_of(both)] == ["https://x.org/a.png", "https://x.org/b.png"]


def _record(base: str, rid: str = "r1", endpoint: str = "x/y") -> None:
    url = f"{base}/{endpoint}/requests/{rid}"
    default_journal().write_submit(
        request_id=rid,
        endpoint=endpoint,
        base=base,
        status_url=url + "/status",
        response_url=url,
        cancel_url=url + "/cancel",
        arguments={"prompt": "p"},
    ).result()


def test_history_does_not_resume_entries_of_another_host_with_this_key() -> None:
    seen: list[tuple[str, str | None]] = []

    def answer(request: httpx.Request) -> httpx.Response:
        seen.append((request.url.host, request.headers.get("authorization")))
        return httpx.Response(200, json={"status": "COMPLETED"})

    _record("https://third-party.example.org")
    client = AsyncClient(
        key="SECRETKEY-abc:def", transport=httpx.MockTransport(answer), retry=RetryPolicy()
    )
    h = falwidgets.history(client=client)
    assert seen == [] and h.resumed == []
    (row,) = h.rows
    assert "not resumed" in row["note"] and "third-party.example.org" in row["note"]


def test_a_definitive_resume_failure_is_recorded_shown_and_not_retried() -> None:
    base = "https://queue.example.org"
    calls: list[str] = []

    def answer(request: httpx.Request) -> httpx.Response:
        calls.append(str(request.url))
        return httpx.Response(404, json={"detail": "Request not found"})

    _record(base)
    client = AsyncClient(
        base_url=base, transport=httpx.MockTransport(answer), retry=RetryPolicy(max_attempts=1)
    )
    h = falwidgets.history(client=client)
    assert [r.state for r in h.resumed] == ["failed"] and calls
    (entry,) = falwidgets.journal()
    assert entry.status == "FAILED" and entry.error and "resume" in entry.error
    (row,) = h.rows
    assert row["status"] == "FAILED" and "resume" in row["error"]
    calls.clear()
    again = falwidgets.history(client=client)
    assert again.resumed == [] and calls == []


def test_history_opens_with_a_corrupt_journal_row() -> None:
    _record("https://queue.fal.run")
    default_journal().record_final("r1", "COMPLETED", result={"seed": 1})
    with sqlite3.connect(default_journal().path) as conn:
        conn.execute("UPDATE requests SET result = '{bad json' WHERE request_id = 'r1'")
    h = falwidgets.history(resume=False)
    assert "unreadable" in h.rows[0]["error"]


def test_closed_history_stops_following_and_refreshes_nothing(
    local_server: object, echo_endpoint: str
) -> None:
    client = AsyncClient(base_url=local_server.url)  # type: ignore[attr-defined]
    falwidgets.app(echo_endpoint, client=client).run({"text": "a", "steps": 1})

    async def scenario() -> Any:
        h = falwidgets.history(client=client)
        run = h.rerun(h.entries[0])
        own = list(h.apps.values())
        h.close()  # closes the app it made, which cancels the rerun
        await async_wait_until(lambda: run.done, 10, "the rerun cancelled")
        await async_wait_until(  # a follower refreshes when its run ends
            lambda: all(f.done() for f in h._followers), 10, "the history's followers to end"
        )
        return h, own

    h, own = asyncio.run(scenario())
    assert h.comm is None
    assert own and all(app.comm is None for app in own)
    version = h.version
    h.refresh()  # a late follower's refresh: nothing happens on a closed history
    assert h.version == version


def test_refresh_from_two_threads_keeps_one_row_per_run() -> None:
    for i in range(3):
        _record("https://queue.fal.run", rid=f"r{i}")
    h = falwidgets.history(resume=False)
    stop = threading.Event()

    def hammer() -> None:
        while not stop.is_set():
            h.refresh()

    threads = [threading.Thread(target=hammer) for _ in range(2)]
    for t in threads:
        t.start()
    try:
        for i in range(3, 25):
            _record("https://queue.fal.run", rid=f"r{i}")
    finally:
        stop.set()
        for t in threads:
            t.join()
    h.refresh()
    ids = [row["id"] for row in h.rows]
    assert len(ids) == len(set(ids)) == 25 and h.total == 25


@pytest.mark.parametrize(
    ("timeout", "error"),
    [
        ("5", TypeError),
        (True, TypeError),
        (-1, ValueError),
        (0, ValueError),
        (float("inf"), ValueError),
    ],
)
def test_a_bad_timeout_fails_at_the_call(timeout: Any, error: type[Exception]) -> None:
    with pytest.raises(error, match="timeout"):
        falwidgets.app("fal-ai/flux-realism", timeout=timeout)
    with pytest.raises(error, match="timeout"):
        Sweep("fal-ai/flux-realism", {}, {"prompt": ["x"]}, timeout=timeout)
    with pytest.raises(ValueError, match="concurrency"):
        Sweep("fal-ai/flux-realism", {}, {"prompt": ["x"]}, concurrency=True)
