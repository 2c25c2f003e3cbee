"""The fault campaign through ``app()`` widgets: every runner ends done or failed, none stuck.

The driver is ``bench/faults.py``'s :func:`run_app_campaign` (the benchmark runs 500); here 100
widgets, one Run message each (the browser's click), at most 50 in flight against the same faulty
server.
"""

from __future__ import annotations

from types import ModuleType

import pytest

pytestmark = pytest.mark.slow

RUNS = 100
IN_FLIGHT = 50


def test_every_app_widget_ends_done_or_failed_under_faults(fault_bench: ModuleType) -> None:
    report = fault_bench.app_campaign(RUNS, IN_FLIGHT, workers=8, run_deadline=30.0)
    detail = "\n".join(report.errors[:10])

    assert report.widgets == RUNS
    assert report.stuck == 0, detail
    assert report.wrong == 0, detail
    assert report.cancelled == 0, detail
    assert report.unshown == 0, detail
    assert report.run_disabled == 0
    assert report.done + report.failed == RUNS
    assert report.done >= RUNS * 0.8, detail  # a submit a fault refused fails, visibly
    assert report.duplicates == 0
    assert sum(report.faults.values()) > 0, "the server injected no faults: nothing was tested"
    assert report.latencies and max(report.latencies) < 30.0 + 5.0

    # the widgets themselves, not just the driver's tally
    for job, runner in enumerate(report.apps):
        run = runner.last
        assert run is not None and run.state in {"done", "failed"}, (job, run)
        assert runner.status["state"] == run.state  # the widget shows the final state
        assert not runner.in_flight  # Cancel is hidden: nothing left to cancel
        assert not fault_bench.run_disabled(runner)  # Run is on again
        if run.state == "done":
            assert run.output == {"job": job, "steps_done": 4}
            assert runner.result, "a finished run shows its result"
            assert runner.banner == {}
        else:
            shown = fault_bench.banner_text(runner)
            assert run.error is not None and shown, "a failure is shown, not lost"
            assert str(run.error) in shown  # this run's own error, not another's
