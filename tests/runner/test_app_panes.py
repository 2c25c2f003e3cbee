"""Status line, log pane, banner and error descriptions: escaping, caps, texts."""

from __future__ import annotations

import pytest
from falwidgets.runner._panes import MAX_LOG_LINES, Banner, LogPane, StatusLine

from falwidgets.client import AsyncClient, Completed, InProgress, Queued, RateLimited
from falwidgets.runner._errors import describe, register_error_title
from falwidgets.runner._run import Run, apply_status


def test_log_pane_escapes_and_caps() -> None:
    pane = LogPane()
    assert pane.layout.display == "none"
    pane.extend([{"message": "<img src=x onerror=alert(1)>"}, {"message": "step 1"}])
    assert "<img" not in pane.value and "&lt;img src=x onerror=alert(1)&gt;" in pane.value
    assert pane.layout.display is None
    pane.extend({"message": f"line {i}"} for i in range(MAX_LOG_LINES + 50))
    assert len(pane.lines) == MAX_LOG_LINES
    assert pane.lines[-1] == f"line {MAX_LOG_LINES + 49}"
    pane.clear()
    assert pane.value == "" and pane.lines == []


def test_status_line_and_banner_escape_server_text() -> None:
    status = StatusLine()
    status.show("queued", "Queued · position 2", request_id='"><script>x</script>')
    assert "<script>" not in status.value
    assert "Queued · position 2" in status.text
    banner = Banner()
    banner.show("Server error", "<b>boom</b>", "req-1")
    assert "&lt;b&gt;boom&lt;/b&gt;" in banner.value and "req-1" in banner.value
    assert banner.message == "Server error: <b>boom</b>"
    banner.clear()
    assert banner.layout.display == "none"


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
