"""Third-wave UX fixes from a new-user review: status line, log pane, stale results, uploads in
progress, endpoints the local server does not serve, and the history's layout and cards."""

from __future__ import annotations

import asyncio
import io
import json
import threading
import time
from typing import Any

import httpx
from history_helpers import browser_says

import falwidgets
from _wait import async_wait_until
from falwidgets.client import AsyncClient, Client, JournalEntry
from falwidgets.runner import App
from falwidgets.runner._entry import EntryView
from falwidgets.runner._history import varying_keys
from falwidgets.runner._history_widget import row_of

IMAGE = "fal-ai/flux-realism"
DETECT = "fal-ai/moondream3-preview/detect"
UUID = "0b6f6c1e-3f7a-4d2e-9a51-6f1c2d3e4f50"


def _client(server: object) -> AsyncClient:
    return AsyncClient(base_url=server.url)  # type: ignore[attr-defined]


def test_logs_and_status_after_a_run(local_server: object, echo_endpoint: str) -> None:
    ui = falwidgets.app(echo_endpoint, client=_client(local_server))
    ui.run({"text": "hi", "steps": 2})
    assert any("starting" in line["message"] for line in ui.logs)
    assert ui.last is not None and ui.status["request_id"] == ui.last.request_id
    assert ui.status["state"] == "done" and ui.status["progress"] == 1.0


def test_failed_run_dims_the_previous_result(local_server: object, echo_endpoint: str) -> None:
    ui = falwidgets.app(echo_endpoint, client=_client(local_server))
    ui.run({"text": "ok", "steps": 1})
    assert ui.previous == "" and ui.result
    shown = list(ui.result)
    ui.submit({"text": "ok", "steps": 1, "fail": "boom"})  # no loop here: finishes first
    assert ui.last.state == "failed" and ui.result == shown  # the old result is still there …
    assert "previous result" in ui.previous.lower()  # … labelled (the browser dims it)
    ui.run({"text": "again", "steps": 1})  # a new result clears the mark
    assert ui.previous == "" and "again" in json.dumps(ui.result)


def test_a_first_failure_has_nothing_to_mark(local_server: object, echo_endpoint: str) -> None:
    ui = falwidgets.app(echo_endpoint, client=_client(local_server))
    ui.submit({"text": "x", "steps": 1, "fail": "boom"})
    assert ui.last.state == "failed" and ui.previous == ""


def test_cancel_while_waiting_for_uploads_sends_nothing(local_server: object) -> None:
    gate = threading.Event()
    ui = falwidgets.app(
        DETECT, client=_client(local_server), uploader=lambda *a: gate.wait(5) and "https://x/y.png"
    )
    ui.form.fill_example()
    ui.upload(["image_url"], b"abc", "image/png", "a.png")  # a file dropped in the browser

    async def scenario() -> None:
        run = ui.submit()
        await async_wait_until(
            lambda: ui.status.get("text", "").startswith("Waiting for uploads"),
            5,
            "the run waiting",
        )
        ui.cancel()
        await asyncio.wait_for(ui.wait_async(), 10)
        # the runner loop folds the cancel into the run
        await async_wait_until(lambda: run.done, 5, "the cancel folded into the run")
        assert run.state == "cancelled" and run.request_id is None
        gate.set()

    asyncio.run(scenario())
    assert ui.status["text"].startswith("Cancelled") and ui.last.request_id is None


def test_unserved_endpoint_on_the_local_server_says_so_and_disables_run(
    monkeypatch: object,
) -> None:
    monkeypatch.setenv("FALWIDGETS_SERVER_SPEED", "0.1")  # type: ignore[attr-defined]
    ui = falwidgets.app("fal-ai/flux/dev")  # no key: the embedded local server
    notice = ui.disabled_reason  # Run is off and the browser shows why, above the form
    assert ui.backend.local and "fal-ai/flux/dev" in notice and "not served" in notice
    names = notice.split("Try ", 1)[1]
    assert names.startswith("fal-ai/flux-realism")  # closest first
    served = falwidgets.app(IMAGE)
    assert served.disabled_reason == ""


def test_unserved_endpoint_with_another_server_keeps_run(local_server: object) -> None:
    ui = falwidgets.app("fal-ai/flux/dev", client=_client(local_server))
    assert ui.disabled_reason == ""


def _view(rid: str, endpoint: str, arguments: dict, output: object = None) -> EntryView:
    base = "http://127.0.0.1:9"
    return EntryView.of(
        JournalEntry(
            request_id=rid,
            endpoint=endpoint,
            base=base,
            status_url=f"{base}/{endpoint}/requests/{rid}/status",
            response_url=f"{base}/{endpoint}/requests/{rid}",
            cancel_url=f"{base}/{endpoint}/requests/{rid}/cancel",
            arguments=arguments,
            arguments_sha256="",
            created=time.time(),
            finished=time.time(),
            status="COMPLETED" if output is not None else "FAILED",
            result=output,
        )
    )


def test_rows_show_prompt_differing_inputs_and_media_icons() -> None:
    views = [
        _view("a", IMAGE, {"prompt": "a teapot", "seed": 1, "guidance_scale": 2.0, "steps": 6}),
        _view("b", IMAGE, {"prompt": "a teapot", "seed": 2, "guidance_scale": 5.0, "steps": 6}),
        _view("c", "x/y", {"prompt": "other", "seed": 1}),
    ]
    varying = varying_keys(views)
    assert varying[IMAGE] == ("seed", "guidance_scale") and varying["x/y"] == ()
    row = row_of(views[1], varying[IMAGE])
    assert row["prompt"] == "a teapot" and row["params"] == ["seed=2", "guidance_scale=5.0"]
    long = row_of(_view("l", "l/l", {"prompt": "<i>" + "x" * 300}))
    assert long["prompt"].startswith("<i>")  # text: the browser draws it with textContent
    video = _view("v", "v/v", {}, {"video": {"url": "https://h/v.mp4"}})
    audio = _view("s", "s/s", {}, {"audio": {"url": "https://h/s.wav"}})
    model = _view("m", "m/m", {}, {"model_mesh": {"url": "https://h/m.glb"}})
    data = _view("d", "d/d", {}, {"text": "hi"})
    failed = _view("f", "f/f", {})
    assert row_of(video)["thumb"] == {"kind": "video", "url": "https://h/v.mp4"}
    kinds = [row_of(v)["thumb"]["kind"] for v in (audio, model, data, failed)]
    assert kinds == ["audio", "model3d", "json", "failed"]
    js = _view("j", "j/j", {}, {"video": {"url": "javascript:alert(1)//.mp4"}})
    assert "javascript:" not in str(row_of(js)["thumb"])


def _two_runs(server: object) -> None:
    ui = falwidgets.app(IMAGE, client=_client(server))
    for seed in (1, 2):
        ui.run({"prompt": "a cat", "seed": seed, "num_inference_steps": 2})


def test_history_actions_answer_under_their_row_and_rerun_adds_a_row(
    local_server: object,
) -> None:
    _two_runs(local_server)
    h = falwidgets.history(client=_client(local_server))
    newest, older = h.rows
    assert "seed=2" in newest["params"] and "a cat" in newest["prompt"]  # what tells runs apart
    browser_says(h, type="compare", a=newest["id"], b=older["id"], at=older["id"])
    compare = h.detail
    assert compare["kind"] == "compare" and compare["for"] == older["id"]

    async def scenario() -> Any:
        run = h.rerun(older["id"], here=True)  # as a click on Rerun; returns at once
        assert h.detail["kind"] == "rerun" and h.detail["for"] == older["id"]
        # its row appears once the run has a request id
        await async_wait_until(lambda: h.total == 3, 5, "a third row")
        assert h.rows[0]["id"] == run.request_id
        await asyncio.wait_for(h.apps[IMAGE].wait_async(), 60)
        await async_wait_until(
            lambda: h.detail.get("state") == "done" and h.rows[0]["status"] == "COMPLETED",
            5,
            "the rerun's row completed",
        )
        return run

    run = asyncio.run(scenario())
    assert h.rows[0]["status"] == "COMPLETED" and h.detail["request_id"] == run.request_id
    assert h.detail["blocks"][0]["kind"] == "images"  # the rerun's result under the row clicked
    assert isinstance(h.apps[IMAGE], App)


def test_flux_realism_demo_depends_on_guidance_scale(local_server: object) -> None:
    from PIL import Image, ImageStat

    def saturation(guidance: float) -> tuple[str, float]:
        with Client(base_url=local_server.url) as sync:  # type: ignore[attr-defined]
            out = sync.run(
                IMAGE,
                {
                    "prompt": "a teapot",
                    "seed": 4,
                    "guidance_scale": guidance,
                    "num_inference_steps": 1,
                    "image_size": {"width": 64, "height": 64},
                },
            )
            url = out["images"][0]["url"]
        data = httpx.get(url, timeout=10).content

        picture = Image.open(io.BytesIO(data)).convert("HSV")
        return url, ImageStat.Stat(picture).mean[1]

    low_url, low = saturation(1.0)
    high_url, high = saturation(8.0)
    again_url, _ = saturation(8.0)
    assert low_url != high_url and high_url == again_url  # visible and deterministic per seed
    assert high > low + 20  # more guidance, more saturated


def test_sweep_cells_are_compact_with_row_and_column_headers(local_server: object) -> None:
    s = falwidgets.sweep(
        IMAGE,
        {"prompt": "a teapot", "num_inference_steps": 1, "image_size": "square"},
        grid={"seed": [1, 2], "guidance_scale": [2.0, 5.0, 8.0]},
        client=_client(local_server),
    )
    assert s.done and not s.failures
    cols, rows = s.layout_spec["cols"], s.layout_spec["rows"]
    assert cols == ["guidance_scale=2.0", "guidance_scale=5.0", "guidance_scale=8.0"]
    assert [r["label"] for r in rows] == ["seed=1", "seed=2"]  # one row per other-key value
    cell = s.cells[0]
    assert cell["state"] == "done" and cell["blocks"] == []  # the image alone, no JSON
    assert [im["url"] for im in cell["images"]] == [s.points[0].output["images"][0]["url"]]
    assert cell["title"] == "seed=1 · guidance_scale=2.0"
    assert s.counts["ok"] == 6 and s.finished
