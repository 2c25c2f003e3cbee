"""The fault campaign in CI: every job's result, one submission per job, no hangs."""

from __future__ import annotations

from types import ModuleType

import pytest

from loop_helpers import run_coroutine

pytestmark = pytest.mark.slow


def _assert_clean(report: object) -> None:
    assert report.lost == 0, report.errors[:5]
    assert report.wrong == 0
    # every job returns its result: a submit whose answer was lost (accepted_drop, drops, gateway
    # 502/504) is found in the request history or proven absent and resubmitted by the client
    assert report.ambiguous == 0, report.ambiguous_errors[:3]
    assert report.completed == report.jobs
    assert report.duplicates == 0
    # exactly one enqueued submission per job, however many answers were lost
    assert report.submissions_counted == report.jobs
    assert report.overruns == 0
    counts = report.reconciled
    assert counts["unresolved"] == 0
    assert counts["found"] + counts["resubmitted"] == counts["ambiguous"]
    if report.faults.get("accepted_drop", 0):  # an enqueued-then-cut submit can only be found
        assert counts["found"] >= 1, counts


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
    for row in ("ambiguous submit errors", "reconciled by the client", "client-internal retries"):
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
