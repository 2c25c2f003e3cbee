"""The fault campaign through ``app()`` widgets: every runner ends done or failed, none stuck."""

from __future__ import annotations

import asyncio
from types import ModuleType

import pytest
from reliability_helpers import run_coroutine

pytestmark = pytest.mark.slow

APPS = 30


def test_every_app_widget_ends_done_or_failed_under_faults(fault_bench: ModuleType) -> None:
    import falwidgets
    from falwidgets.server import serve

    fault_bench.register_endpoint()
    with serve(port=0, workers=8, speed=1.0, faults=fault_bench.DEFAULT_FAULTS) as server:
        client = falwidgets.AsyncClient(base_url=server.url)
        apps = [
            falwidgets.app(fault_bench.ENDPOINT, client=client, timeout=30) for _ in range(APPS)
        ]

        async def click_every_run_button() -> None:
            for job, runner in enumerate(apps):
                runner.form.value = {"job": job, "steps": 4}
                runner.run_button.click()  # what a user does: the widget callback, not the API
            await asyncio.wait_for(asyncio.gather(*(a.wait() for a in apps)), 90)

        run_coroutine(click_every_run_button())

    states = [runner.last.state if runner.last else "never ran" for runner in apps]
    assert set(states) <= {"done", "failed"}, states
    assert states.count("done") >= APPS * 0.8  # a submit refused by a fault may fail, visibly
    for job, runner in enumerate(apps):
        run = runner.last
        assert run is not None and run.done
        assert runner.status.state == run.state  # the widget shows the final state
        assert runner.cancel_button.disabled and not runner.run_button.disabled
        if run.state == "done":
            assert run.output == {"job": job, "steps_done": 4}
            assert runner.result.children, "a finished run shows its result"
        else:
            assert run.error is not None and runner.banner.value, "a failure is shown, not lost"
