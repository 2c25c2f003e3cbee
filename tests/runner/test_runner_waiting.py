"""One meaning of run / arun / wait / wait_async on App, Sweep and History."""

from __future__ import annotations

import pytest

import falwidgets
from falwidgets.client import AsyncClient, RequestFailed
from falwidgets.runner import App, History, Sweep
from loop_helpers import run_coroutine


@pytest.fixture
def client(local_server: object) -> AsyncClient:
    return AsyncClient(base_url=local_server.url)  # type: ignore[attr-defined]


def test_app_run_and_arun_return_the_output_and_raise_the_error(
    echo_endpoint: str, client: AsyncClient
) -> None:
    ui = falwidgets.app(echo_endpoint, client=client)
    assert ui.run({"text": "sync", "steps": 1}) == {"text": "sync", "steps": 1}
    assert run_coroutine(ui.arun({"text": "async", "steps": 1})) == {"text": "async", "steps": 1}
    with pytest.raises(RequestFailed, match="boom"):
        ui.run({"text": "x", "steps": 1, "fail": "boom"})
    with pytest.raises(RequestFailed, match="bang"):
        run_coroutine(ui.arun({"text": "x", "steps": 1, "fail": "bang"}))
    ui.close()


def test_app_wait_blocks_and_wait_async_awaits_until_runs_finish(
    echo_endpoint: str, client: AsyncClient
) -> None:
    ui = falwidgets.app(echo_endpoint, client=client)

    async def start_then_wait() -> list[str]:
        first = ui.submit({"text": "a", "steps": 5})  # a loop runs here: submit returns at once
        assert ui.wait_async.__doc__ and await ui.wait_async(60) is ui
        assert first.done
        second = ui.submit({"text": "b", "steps": 5})
        assert ui.wait(60) is ui  # blocks this thread; the runner thread does the work
        return [first.state, second.state]

    assert run_coroutine(start_then_wait()) == ["done", "done"]
    assert ui.wait(1) is ui  # nothing in flight: returns at once
    ui.close()


def test_sweep_run_arun_wait_and_wait_async(echo_endpoint: str, client: AsyncClient) -> None:
    grid = {"text": ["a", "b"]}
    s = falwidgets.sweep(echo_endpoint, {"steps": 1}, grid, client=client)
    assert s.wait(60) is s and s.done
    assert s.run(60) == [{"text": "a", "steps": 1}, {"text": "b", "steps": 1}]
    assert run_coroutine(s.arun(60)) == s.outputs
    assert run_coroutine(s.wait_async(60)) is s
    s.close()


def test_history_wait_and_wait_async_follow_reruns(echo_endpoint: str, client: AsyncClient) -> None:
    ui = falwidgets.app(echo_endpoint, client=client)
    ui.run({"text": "first", "steps": 1})
    h = falwidgets.history(ui, client=client)

    async def rerun_then_wait() -> str:
        run = h.rerun(h.entries[0])
        assert await h.wait_async(60) is h
        return run.state

    assert run_coroutine(rerun_then_wait()) == "done"
    run = h.rerun(h.entries[0])  # no loop in this thread: the rerun has finished already
    assert h.wait(60) is h and run.done
    assert len(h.entries) == 3 and not hasattr(h, "run")  # a history starts nothing itself
    h.close()
    ui.close()


def test_each_class_documents_the_rule() -> None:
    for cls in (App, Sweep, History):
        assert "run()" in (cls.__doc__ or "") and "wait_async" in (cls.__doc__ or ""), cls
