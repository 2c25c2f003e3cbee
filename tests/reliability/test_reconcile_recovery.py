"""A process killed right after an ``accepted_drop`` submit; a new process recovers the result.

The server enqueues the submit and drops the answer (``accepted_drop=1``). The first process
journals the ambiguity (``on_ambiguous="raise"``: no lookup) and is killed with SIGKILL on the
spot. A new process, knowing only the journal, finds the request in the server's history and
prints its result (``falwidgets run --resume ambiguous-…``); the server counted one submission.
Also: ``on_ambiguous="resubmit"`` and a history that cannot be reached.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path
from types import ModuleType
from typing import Any

import httpx
import pytest

import falwidgets
from _counts import submission_count
from falwidgets.client._journal import AMBIGUOUS, Journal
from falwidgets.server import serve

PY = sys.executable
SRC = str(Path(falwidgets.__file__).resolve().parents[1])


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAL_KEY")}
    env["FALWIDGETS_HOME"] = str(home)
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    return env


def test_killed_after_accepted_drop_then_recovered_by_a_new_process(
    fault_bench: ModuleType, tmp_path: Path
) -> None:
    fault_bench.register_endpoint()
    endpoint, arguments = fault_bench.ENDPOINT, {"job": 4242, "steps": 2}
    home = tmp_path / "home"
    with serve(speed=0.05, faults="accepted_drop=1") as server:
        first = textwrap.dedent(f"""
            import os, signal, sys
            from falwidgets import AmbiguousSubmit, Client
            client = Client(base_url={server.url!r}, on_ambiguous="raise")
            try:
                client.submit({endpoint!r}, {arguments!r})
            except AmbiguousSubmit as error:
                print(error.journal_id, flush=True)
            os.kill(os.getpid(), signal.SIGKILL)  # no exit handlers, no flush: a crash
        """)
        killed = subprocess.run(
            [PY, "-c", first], capture_output=True, text=True, env=_env(home), timeout=120
        )
        assert killed.returncode == -signal.SIGKILL, killed.stderr[-2000:]
        journal_id = killed.stdout.strip()
        assert journal_id.startswith("ambiguous-"), killed.stdout + killed.stderr[-2000:]
        row = Journal(home / "journal.sqlite3").get(journal_id)
        assert row is not None and row.status == AMBIGUOUS  # on disk before the kill
        assert row.arguments == arguments and row.endpoint == endpoint

        cli_tail = ["--base-url", server.url, "--json"]
        resumed = subprocess.run(
            [PY, "-m", "falwidgets", "run", endpoint, "--resume", journal_id, *cli_tail],
            capture_output=True,
            text=True,
            env=_env(home),
            timeout=120,
        )
        assert resumed.returncode == 0, resumed.stderr[-2000:]
        assert json.loads(resumed.stdout) == {"job": 4242, "steps_done": 2}
        assert submission_count(server, endpoint, arguments) == 1  # found, never re-sent
        entries = Journal(home / "journal.sqlite3").entries()
        assert [e.status for e in entries] == ["COMPLETED"]  # the row became the request
        assert entries[0].result == {"job": 4242, "steps_done": 2}
        assert entries[0].request_id != journal_id


def test_recover_before_the_request_is_listed_says_so(fault_bench: ModuleType) -> None:
    fault_bench.register_endpoint()
    with serve(speed=0.05) as server:
        journal = falwidgets.client._journal.default_journal()
        journal.write_submit(
            request_id="ambiguous-0123456789abcdef",
            endpoint=fault_bench.ENDPOINT,
            base=server.url,
            status_url="",
            response_url="",
            cancel_url="",
            arguments={"job": -1, "steps": 1},
            status=AMBIGUOUS,
        ).result()
        with falwidgets.Client(base_url=server.url) as client:
            with pytest.raises(falwidgets.AmbiguousSubmit, match="does not list") as caught:
                client.recover("ambiguous-0123456789abcdef")
            assert caught.value.journal_id == "ambiguous-0123456789abcdef"
            handle = client.submit(fault_bench.ENDPOINT, {"job": 1, "steps": 1})
            with pytest.raises(ValueError, match="not AMBIGUOUS"):
                client.recover(handle.request_id)


def test_resubmit_opt_in_sends_once_more_where_absence_cannot_be_proven(
    fault_bench: ModuleType,
) -> None:
    """A gateway 502 before the server: the request never existed; with no completeness promise
    (stripped here) only the opt-in resubmits, once."""
    fault_bench.register_endpoint()
    endpoint = fault_bench.ENDPOINT
    with serve(speed=0.05) as server:
        posts: list[int] = []

        def gateway(request: httpx.Request) -> httpx.Response:
            if request.method == "POST" and not posts:
                posts.append(1)
                return httpx.Response(502, text="<html>502 Bad Gateway</html>")
            if request.method == "POST":
                posts.append(1)
            answer = httpx.Client(base_url=server.url).send(
                httpx.Request(
                    request.method, request.url, headers=request.headers, content=request.content
                )
            )
            headers = {
                k: v
                for k, v in answer.headers.items()
                if k
                not in (
                    "x-falwidgets-lists-in-flight",
                    "content-encoding",
                    "content-length",
                    "transfer-encoding",
                )
            }
            return httpx.Response(answer.status_code, headers=headers, content=answer.content)

        options: dict[str, Any] = {
            "base_url": server.url,
            "transport": httpx.MockTransport(gateway),
        }
        with falwidgets.Client(on_ambiguous="resubmit", **options) as client:
            result = client.subscribe(endpoint, {"job": 77, "steps": 1}, timeout=30)
        assert result == {"job": 77, "steps_done": 1}
        assert len(posts) == 2 and submission_count(server, endpoint, {"job": 77, "steps": 1}) == 1

        posts.clear()
        client = falwidgets.Client(**options)  # default: look until the deadline, then raise
        with client, pytest.raises(falwidgets.AmbiguousSubmit) as caught:
            client.submit(endpoint, {"job": 78, "steps": 1}, timeout=1.5)
        assert len(posts) == 1  # never re-sent without proof or opt-in
        assert caught.value.digest == falwidgets.client._journal.digest({"job": 78, "steps": 1})
        assert caught.value.journal_id.startswith("ambiguous-")
        assert "may exist" in str(caught.value) and caught.value.journal_id in str(caught.value)
