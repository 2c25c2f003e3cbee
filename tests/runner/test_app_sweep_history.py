"""Sweeps and history against the real local server and the real journal."""

from __future__ import annotations

import asyncio
import json

import pytest
from app_fixtures import Gauge
from history_helpers import browser_says

import falwidgets
from falwidgets.client import AsyncClient, Client
from falwidgets.runner import Comparison, History, Sweep


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
        assert s.counts["ok"] == 0 and not s.done  # returns at once in a running loop
        await asyncio.wait_for(s.wait_async(), 60)
        return s

    s = asyncio.run(scenario())
    assert len(s) == 6 and s.done and not s.failures
    assert s.counts["ok"] == 6 and s.counts["total"] == 6 and s.finished
    assert [(o["text"], o["steps"]) for o in s.outputs] == [
        ("a", 2), ("a", 6), ("b", 2), ("b", 6), ("c", 2), ("c", 6),
    ]  # fmt: skip
    assert gauge.peak <= 2  # never more than `concurrency` jobs at once
    assert s.cells[1]["label"] == "text=a · steps=6"
    assert all(c["state"] == "done" and c["blocks"] for c in s.cells)  # no image: the preview


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
    error = s.cells[1]["error"]
    assert bad.run.request_id and error["request_id"] == bad.run.request_id
    assert "<b>bad</b>" in error["detail"]  # data, drawn as text by the browser
    assert (s.counts["ok"], s.counts["failed"]) == (1, 1)  # "1 ok · 1 failed", not a red bar


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


def test_history_rows_compare_load_and_rerun(local_server: object) -> None:
    _two_runs(local_server)
    h = falwidgets.history(client=_client(local_server))
    assert isinstance(h, History) and h.total == 2
    newest, older = h.entries
    assert newest.arguments["seed"] == 2 and older.arguments["seed"] == 1
    row = h.rows[0]
    assert row["id"] == newest.request_id and row["thumb"]["url"] == newest.thumbnail  # by URL
    assert row["endpoint"] == "fal-ai/flux-realism" and row["status"] == "COMPLETED"

    # ticking Compare on two rows in the browser: the comparison opens under the row clicked
    browser_says(h, type="compare", a=newest.request_id, b=older.request_id, at=older.request_id)
    assert h.detail["kind"] == "compare" and h.detail["for"] == older.request_id
    data = h.detail["compare"]
    differing = [r["path"] for r in data["rows"] if r["differs"]]
    assert differing == ["seed"]  # only what differs is highlighted; the prompt is the same
    assert "prompt" in [r["path"] for r in data["rows"] if not r["differs"]]
    left, right = data["columns"]
    assert left["blocks"][0]["items"][0]["url"] == newest.output["images"][0]["url"]
    assert right["blocks"][0]["items"][0]["url"] == older.output["images"][0]["url"]

    shown = h.compare(0, 1)  # from code: a widget for the calling cell, not the history's cell
    assert isinstance(shown, Comparison) and shown.compare == data
    loaded = h.load(older)  # from code: the history's own cell is left as it is
    assert loaded.form.value["seed"] == 1 and h.detail["kind"] == "compare"
    browser_says(h, type="load", id=older.request_id)  # a click on Load: under its row
    assert h.detail["kind"] == "load" and h.detail["for"] == older.request_id
    assert h.detail["title"].startswith(f"Loaded run {older.request_id[:8]}")
    (block,) = h.detail["blocks"]  # the form, drawn under the row by composition
    assert block["ref"] == f"anywidget:{loaded.model_id}"
    assert shown.comm is not None  # Load never closes what a cell displays
    run = h.rerun(older)  # no running loop: completes before returning
    assert run.state == "done" and run.output["seed"] == 1 and h.detail["kind"] == "load"
    browser_says(h, type="rerun", id=older.request_id)  # a click on Rerun: under its row
    assert h.detail["kind"] == "rerun" and h.detail["state"] == "done"
    assert h.detail["blocks"][0]["kind"] == "images"  # the rerun's result, under its row
    assert len(falwidgets.journal()) == 4
    assert h.total == 4 and h.rows[1]["id"] == run.request_id


def test_history_loads_into_a_given_app(local_server: object) -> None:
    _two_runs(local_server)
    ui = falwidgets.app("fal-ai/flux-realism", client=_client(local_server))
    h = falwidgets.history(ui)
    assert h.load(h.entries[1]) is ui and ui.form.value["seed"] == 1
    browser_says(h, type="load", id=h.entries[1].request_id)
    assert "blocks" not in h.detail and "your app" in h.detail["text"]  # it stays where it is


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
    assert h.rows[0]["status"] == "COMPLETED"


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
    assert "gone" in h.rows[0]["error"]
    again = falwidgets.history(client=quick)  # not retried on every open
    assert again.resumed == []


def test_history_button_failure_is_shown_not_raised(local_server: object) -> None:
    from falwidgets.client._journal import default_journal

    _two_runs(local_server)
    default_journal().write_submit(
        request_id="rid-nobody",
        endpoint="nobody/<nothing>",
        base="https://queue.fal.run",
        status_url="",
        response_url="",
        cancel_url="",
        arguments={"prompt": "x"},
    ).result(10)
    h = falwidgets.history(client=_client(local_server), resume=False)
    browser_says(h, type="load", id="rid-nobody")  # the form cannot be built: no such endpoint
    assert h.detail["kind"] == "message" and h.detail["for"] == "rid-nobody"
    assert h.detail["title"] and "nobody/<nothing>" in h.detail["text"]  # as text, never HTML


def test_history_pages_and_search_answer_the_browser() -> None:
    from falwidgets.client._journal import default_journal

    journal = default_journal()
    for i in range(120):
        journal.write_submit(
            request_id=f"rid-{i:03d}",
            endpoint="a/cats" if i % 3 == 0 else "b/dogs",
            base="https://queue.fal.run",
            status_url="",
            response_url="",
            cancel_url="",
            arguments={"prompt": f"100%_sure {i}" if i == 7 else f"picture {i}", "seed": i},
        ).result(10)
    h = falwidgets.history(resume=False)
    assert h.total == 120 and h.pending_count == 120
    (answer,) = browser_says(h, type="rows", offset=0, limit=50, query="", seq=1)
    assert answer["seq"] == 1 and answer["total"] == 120 and len(answer["rows"]) == 50
    assert answer["rows"][0]["id"] == "rid-119"  # newest first
    (answer,) = browser_says(h, type="rows", offset=100, limit=50, query="", seq=2)
    assert [r["id"] for r in answer["rows"]][-1] == "rid-000" and len(answer["rows"]) == 20
    (answer,) = browser_says(h, type="rows", offset=0, limit=50, query="CATS", seq=3)
    assert answer["total"] == 40 and all(r["endpoint"] == "a/cats" for r in answer["rows"])
    (answer,) = browser_says(h, type="rows", offset=0, limit=50, query="100%_", seq=4)
    assert [r["id"] for r in answer["rows"]] == ["rid-007"]  # % and _ are literal, not wildcards
    (answer,) = browser_says(h, type="rows", offset=0, limit=50, query="dogs picture 11", seq=5)
    assert {r["id"] for r in answer["rows"]} == {
        "rid-011",
        "rid-110",
        "rid-112",
        "rid-113",
        "rid-115",
        "rid-116",
        "rid-118",
        "rid-119",
    }
    # the rows travel as messages: the widget state stays the same size however many runs
    state = {k: v for k, v in h.get_state().items() if k not in ("_esm", "_css")}
    assert len(json.dumps(state, default=str)) < 1500
    limited = falwidgets.history(resume=False, limit=10)
    assert limited.total == 10 and len(limited.rows) == 10


def test_rows_list_only_inputs_that_differ_from_the_endpoints_defaults() -> None:
    from falwidgets.client._journal import default_journal

    def record(rid: str, endpoint: str, arguments: dict) -> None:
        default_journal().write_submit(
            request_id=rid,
            endpoint=endpoint,
            base="https://queue.fal.run",
            status_url="",
            response_url="",
            cancel_url="",
            arguments=arguments,
        ).result(10)

    every_default = {
        "prompt": "a kite",
        "seed": 1,
        "num_inference_steps": 28,
        "guidance_scale": 3.5,
        "num_images": 1,
        "image_size": "landscape_4_3",
    }
    record("r-rerun", "fal-ai/flux-realism", every_default)  # a rerun sends every default
    record("r-few", "fal-ai/flux-realism", {"prompt": "a kite", "guidance_scale": 5.0})
    record("r-own", "me/mine", {"prompt": "x", "level": 1})
    record("r-own2", "me/mine", {"prompt": "x", "level": 2})
    h = falwidgets.history(resume=False)
    params = {row["id"]: row["params"] for row in h.rows}
    assert params["r-rerun"] == ["seed=1"]  # the same rule for every run of the endpoint
    assert params["r-few"] == ["guidance_scale=5.0"]
    assert params["r-own"] == ["level=1"]  # unknown endpoint: what varies between its runs
