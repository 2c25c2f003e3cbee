"""The fault campaign in CI: every job's result, one submission per job, no hangs."""

from __future__ import annotations

from types import ModuleType

import pytest

from loop_helpers import run_coroutine

pytestmark = pytest.mark.slow


def _assert_clean(report: object) -> None:
    assert report.lost == 0, report.errors[:5]
    assert report.wrong == 0
    # every job ends with its result, or (a submit whose answer was lost after sending) with an
    # error that says it may have been accepted; the driver re-sends only provable refusals
    assert report.completed + report.ambiguous == report.jobs
    assert all("may have" in e for e in report.ambiguous_errors), report.ambiguous_errors[:3]
    assert report.duplicates == 0
    # exactly one enqueued submission per result, and none for the ambiguous submits
    assert report.submissions_counted == report.completed
    assert report.overruns == 0


def test_campaign_survives_every_fault_kind(fault_bench: ModuleType) -> None:
    report = fault_bench.campaign(jobs=200, concurrency=50, job_deadline=60)
    _assert_clean(report)
    # the faults really happened, of every kind, and the client absorbed them
    for kind in fault_bench.FAULT_KINDS:
        assert report.faults.get(kind, 0) > 0, (kind, report.faults)
    assert report.faulty_answers > 0
    assert fault_bench.percentile(report.latencies, 0.99) < 30
    # the table's counts are real: drops are seen (they break the body after a 200 status line)
    # and the client retried status/result calls by itself
    assert report.body_errors > 0 and report.transport_errors >= report.body_errors
    assert sum(report.retries_by_kind.values()) > 0
    assert report.resubmits >= 0 and report.retries_by_kind.get("submit", 0) >= 0
    table = report.table()
    for row in ("ambiguous submit failures", "refused before enqueue", "client-internal retries"):
        assert row in table


def test_campaign_through_the_workshop_proxy(fault_bench: ModuleType) -> None:
    report = fault_bench.campaign(jobs=80, concurrency=40, job_deadline=60, through_proxy=True)
    _assert_clean(report)
    assert sum(report.faults.values()) > 0


def test_a_dead_server_fails_fast_with_clear_errors_not_hangs(fault_bench: ModuleType) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    report = run_coroutine(
        fault_bench.run_campaign(url, jobs=5, concurrency=5, job_deadline=4, grace=3, check=False)
    )
    assert report.lost == 5 and report.completed == 0
    assert report.overruns == 0
    assert all("ServerError" in e or "DeadlineExceeded" in e for e in report.errors)
