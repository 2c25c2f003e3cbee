"""Logs, banner and error descriptions: text (never HTML), caps, titles."""

from __future__ import annotations

import pytest

from falwidgets.client import AsyncClient, Completed, FalError, InProgress, Queued, RateLimited
from falwidgets.runner._app import MAX_LOGS, banner_of, log_entry
from falwidgets.runner._errors import describe, register_error_title
from falwidgets.runner._run import Run, apply_status


def test_logs_are_text_and_capped(local_server: object, echo_endpoint: str) -> None:
    import falwidgets

    line = {"message": "<img src=x onerror=alert(1)>", "level": "INFO"}
    # sent as text: js/src/app/app.js puts log lines in a <pre> with textContent, never HTML
    assert log_entry(line) == {"message": "<img src=x onerror=alert(1)>", "level": "INFO"}
    ui = falwidgets.app(echo_endpoint, client=AsyncClient(base_url=local_server.url))  # type: ignore[attr-defined]
    run = Run(echo_endpoint, {})
    ui._shown_run = run
    ui._on_update(run, [{"message": f"line {i}"} for i in range(MAX_LOGS + 50)])
    assert len(ui.logs) == MAX_LOGS and ui.logs[-1]["message"] == f"line {MAX_LOGS + 49}"
    ui.close()


def test_banner_keeps_server_text_as_text() -> None:
    error = FalError("<b>boom</b>")
    banner = banner_of(error, "req-1")
    assert banner["detail"] == "<b>boom</b>" and banner["request_id"] == "req-1"  # drawn as text


def test_describe_walks_the_mro_and_is_extensible() -> None:
    class Slow(RateLimited):
        pass

    assert describe(Slow("try later", request_id="abc")) == ("Rate limited", "try later", "abc")

    class RateLimitedByName(Exception):  # a namesake of the client's class is not one
        pass

    assert describe(RateLimitedByName("x"))[0] == "Unexpected error (RateLimitedByName)"
    register_error_title(Slow, "Slow down")
    assert describe(Slow("x"))[0] == "Slow down"
    assert describe(ValueError("v"))[0] == "Unexpected error (ValueError)"
    assert describe(TimeoutError())[1] == "no answer before the deadline"
    with pytest.raises(TypeError, match="exception class"):
        register_error_title("Slow", "by name")  # type: ignore[arg-type]


def test_run_summary_follows_status_events() -> None:
    run = Run("demo/x", {})
    assert run.summary() == "Submitting…"
    apply_status(run, Queued(position=3))
    assert run.summary() == "Queued · position 3"
    logs = apply_status(run, InProgress(logs=[{"message": "hi"}]))
    assert logs == [{"message": "hi"}] and run.summary().startswith("Running · ")
    apply_status(run, Completed(metrics={"inference_time": 1.5}))
    run.state, run.finished_at = "done", run.submitted_at + 2.0
    assert run.summary() == "Done · inference 1.50 s · total 2.0 s"


def test_reprs_are_short() -> None:
    import falwidgets
    from falwidgets.runner import Sweep

    bare = falwidgets.app(__import__("pydantic").create_model("M", x=(int, 1)))
    assert repr(bare) == "<App no endpoint: 0 runs>"
    s = Sweep("demo/x", {}, {"seed": [1, 2]}, client=AsyncClient(base_url="http://127.0.0.1:9"))
    assert repr(s) == "<Sweep demo/x: 0/2 done, 0 failed>"
