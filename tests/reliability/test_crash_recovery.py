"""A process killed hard between submit and result loses nothing: a new one recovers all."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path
from types import ModuleType
from typing import Any

import falwidgets

JOBS = 6

CHILD = textwrap.dedent(
    """
    import json, sys, time
    import falwidgets

    client = falwidgets.Client(base_url=sys.argv[1])
    ids = []
    for job in range(int(sys.argv[2])):
        handle = client.submit("reliability/campaign", {"job": job, "steps": 150})
        ids.append(handle.request_id)
    print(json.dumps(ids), flush=True)
    time.sleep(600)  # waiting for results when the kill comes
    """
)


def test_results_survive_a_sigkill_between_submit_and_result(
    local_server: Any, fault_bench: ModuleType, tmp_path: Path
) -> None:
    fault_bench.register_endpoint()
    script = tmp_path / "child.py"
    script.write_text(CHILD)
    child = subprocess.Popen(
        [sys.executable, str(script), local_server.url, str(JOBS)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),  # the same FALWIDGETS_HOME: the journal lives there
    )
    try:
        line = child.stdout.readline() if child.stdout else ""
        assert line, child.stderr.read() if child.stderr else "child printed nothing"
        submitted = json.loads(line)
    finally:
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert len(submitted) == JOBS

    # a new process (this one): the journal knows every request, none finished yet
    entries = {e.request_id: e for e in falwidgets.journal(endpoint="reliability/campaign")}
    assert set(submitted) <= set(entries)
    pending = [entries[r] for r in submitted]
    assert any(e.status == "SUBMITTED" for e in pending), "the kill came after every result"

    client = falwidgets.Client(base_url=local_server.url)
    started = time.monotonic()
    results = [client.resume(entry).result(timeout=60) for entry in pending]
    assert [r["job"] for r in results] == list(range(JOBS))
    assert all(r["steps_done"] == 150 for r in results)
    assert time.monotonic() - started < 60

    finished = {e.request_id: e for e in falwidgets.journal(endpoint="reliability/campaign")}
    assert all(finished[r].status == "COMPLETED" for r in submitted)
    assert finished[submitted[0]].result == results[0]

    # the history widget lists the recovered runs as finished, with their request ids on the rows
    past = falwidgets.history(
        client=falwidgets.AsyncClient(base_url=local_server.url), resume=False
    )
    rows = past.rows  # what the browser receives for the list's first page
    by_id = {row["id"]: row for row in rows}
    assert set(submitted) <= set(by_id), [row["id"] for row in rows][:20]
    for request_id in submitted:  # each recovered run shows as completed, not still in flight
        row = by_id[request_id]
        assert row["status"] == "COMPLETED" and row["final"], row
        view = past.entry(request_id)
        assert view.status == "COMPLETED" and view.final, view
        assert not row["rerun_blocked"], row  # its inputs were kept: it can be run again
    assert past.pending_count == 0, repr(past)  # the header says nothing is "in flight"
