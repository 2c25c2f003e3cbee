"""Sweeps and history against the real local server and the real journal."""

from __future__ import annotations

import asyncio
import dataclasses

import pytest
from app_fixtures import Gauge

import falwidgets
from falwidgets.client import AsyncClient, Client
from falwidgets.runner import History, Sweep


def _client(server: object) -> AsyncClient:
    return AsyncClient(base_url=server.url)  # type: ignore[attr-defined]


def test_sweep_fills_a_labelled_grid_with_bounded_concurrency(
    local_server: object, echo_endpoint: str, gauge: Gauge
) -> None:
    async def scenario() -> Sweep:
        s = falwidgets.sweep(
            echo_endpoint,
            {"text": "base", "steps": 4},
            grid={"text": ["a", "b", "c"], "steps": [2, 6]},
            concurrency=2,
            client=_client(local_server),
        )
        assert s.progress.value == 0 and not s.done  # returns at once in a running loop
        await asyncio.wait_for(s.wait_async(), 60)
        return s

    s = asyncio.run(scenario())
    assert len(s) == 6 and s.done and not s.failures
    assert s.progress.value == 6 and s.progress.description == "6/6"
    assert [(o["text"], o["steps"]) for o in s.outputs] == [
        ("a", 2), ("a", 6), ("b", 2), ("b", 6), ("c", 2), ("c", 6),
    ]  # fmt: skip
    assert gauge.peak <= 2  # never more than `concurrency` jobs at once
    labels = [cell.children[0].value for cell in s._cells]
    assert "text=a · steps=6" in labels[1]
    assert all("fw-preview" in cell.children[1]._dom_classes for cell in s._cells)


def test_sweep_in_a_script_blocks_and_reports_failures(
    local_server: object, echo_endpoint: str
) -> None:
    s = falwidgets.sweep(
        echo_endpoint,
        {"steps": 1},
        grid={"fail": [None, "<b>bad</b>"]},
        client=_client(local_server),
    )
    assert s.done  # no running loop: finished when sweep() returns
    assert [p.ok for p in s.points] == [True, False]
    (bad,) = s.failures
    assert bad.run.request_id and bad.run.request_id in s._cells[1].children[1].value
    assert "<b>bad</b>" not in s._cells[1].children[1].value
    assert s.progress.bar_style == "danger"


def test_sweep_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="grid\\['seed'\\] is empty"):
        falwidgets.sweep("fal-ai/flux-realism", {}, grid={"seed": []})
    with pytest.raises(ValueError, match="concurrency"):
        falwidgets.sweep("fal-ai/flux-realism", {}, grid={"seed": [1]}, concurrency=0)
    with pytest.raises(TypeError, match="grid"):
        falwidgets.sweep("fal-ai/flux-realism", {})


def _two_runs(server: object) -> None:
    ui = falwidgets.app("fal-ai/flux-realism", client=_client(server))
    ui.run({"prompt": "a red kite", "seed": 1, "num_inference_steps": 2})
    ui.run({"prompt": "a red kite", "seed": 2, "num_inference_steps": 2})


def test_history_cards_compare_load_and_rerun(local_server: object) -> None:
    _two_runs(local_server)
    h = falwidgets.history(client=_client(local_server))
    assert isinstance(h, History) and len(h.cards) == 2
    newest, older = h.entries
    assert newest.arguments["seed"] == 2 and older.arguments["seed"] == 1
    card = h.cards[0]
    assert "fw-card" in card._dom_classes
    assert newest.thumbnail and newest.thumbnail in card.thumb.value  # thumbnail by URL
    assert "fal-ai/flux-realism" in card.facts.value and "COMPLETED" in card.facts.value

    h.cards[0].compare_box.value = True
    h.cards[1].compare_box.value = True  # ticking two cards opens the comparison
    (view,) = h.work.children
    table, sides = view.children
    assert "seed" in table.value and "prompt" not in table.value  # only what differs
    left, right = sides.children
    assert newest.output["images"][0]["url"] in left.children[1].value
    assert older.output["images"][0]["url"] in right.children[1].value

    shown = h.compare(0, 1)  # returned to a cell: Load must not close it under the user
    loaded = h.load(older)
    assert loaded.form.value["seed"] == 1 and h.work.children == (loaded, shown)  # both kept
    assert shown.comm is not None and view.comm is None  # the checkbox's own view was closed
    run = h.rerun(older)  # no running loop: completes before returning
    assert run.state == "done" and run.output["seed"] == 1
    assert len(falwidgets.journal()) == 3
    h.refresh()
    assert len(h.cards) == 3


def test_history_loads_into_a_given_app(local_server: object) -> None:
    _two_runs(local_server)
    ui = falwidgets.app("fal-ai/flux-realism", client=_client(local_server))
    h = falwidgets.history(ui)
    assert h.load(h.entries[1]) is ui and ui.form.value["seed"] == 1
    assert h.work.children == ()  # the user's own app stays where it is


def test_history_resumes_runs_left_in_flight(local_server: object, echo_endpoint: str) -> None:
    with Client(base_url=local_server.url) as sync:  # type: ignore[attr-defined]
        handle = sync.submit(echo_endpoint, {"text": "orphan", "steps": 10})
    # the "kernel" that submitted it is gone: the journal has it without a final state
    (entry,) = falwidgets.journal()
    assert entry.status == "SUBMITTED" and entry.request_id == handle.request_id
    h = falwidgets.history(client=_client(local_server))  # no loop: resumes before returning
    assert [r.state for r in h.resumed] == ["done"]
    assert h.resumed[0].output == {"text": "orphan", "steps": 10}
    (entry,) = falwidgets.journal()
    assert entry.status == "COMPLETED" and entry.result["text"] == "orphan"
    assert "COMPLETED" in h.cards[0].facts.value


def test_history_marks_runs_of_a_gone_local_server_failed(echo_endpoint: str) -> None:
    from falwidgets.client import RetryPolicy
    from falwidgets.server import serve

    with serve(port=0, speed=1.0) as gone, Client(base_url=gone.url) as sync:
        sync.submit(echo_endpoint, {"text": "lost", "steps": 2000})
    # the server (and the kernel that owned it) ended while the request ran
    quick = AsyncClient(retry=RetryPolicy(max_attempts=1))
    h = falwidgets.history(client=quick)
    assert [r.state for r in h.resumed] == ["failed"]
    (entry,) = falwidgets.journal()
    assert entry.status == "FAILED" and entry.error_type == "server_gone"
    assert "gone" in h.cards[0].facts.value
    again = falwidgets.history(client=quick)  # not retried on every open
    assert again.resumed == []


def test_history_button_failure_is_shown_not_raised(local_server: object) -> None:
    _two_runs(local_server)
    h = falwidgets.history(client=_client(local_server))
    h.cards[0].view = dataclasses.replace(h.cards[0].view, endpoint="nobody/<nothing>")
    h.cards[0].load_button.click()  # the form cannot be built: no such endpoint, no internet
    (message,) = h.work.children
    assert "fw-banner" in message.value and "nobody/&lt;nothing&gt;" in message.value
