"""The journal (incl. recovery after SIGKILL between submit and result) and `falwidgets run`."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import textwrap
import threading
from pathlib import Path
from typing import Any

import pytest
from client_fakes import journal_submit

from falwidgets.client import JournalEntry, journal
from falwidgets.client._journal import Journal, shrink

ROOT = Path(__file__).resolve().parents[2]
PY = sys.executable


def _record(j: Journal, rid: str, endpoint: str = "fal-ai/flux/dev", **args: Any) -> None:
    journal_submit(j, rid, endpoint, **args).result()


def test_journal_filters_order_caps_and_threads(tmp_path: Path) -> None:
    j = Journal(tmp_path / "j.sqlite3")
    big = "data:image/png;base64," + "A" * (70 * 1024)
    _record(j, "r1", prompt="a", image=big)
    _record(j, "r2", endpoint="fal-ai/other", prompt="b")
    j.record_final(
        "r1",
        "COMPLETED",
        result={"images": [{"url": big}], "seed": 1},
        metrics={"inference_time": 1.0},
    )
    entries = j.entries()
    assert [e.request_id for e in entries] == ["r2", "r1"]
    done = j.get("r1")
    assert isinstance(done, JournalEntry) and done.done and done.metrics == {"inference_time": 1.0}
    assert done.arguments["image"].startswith("<data:image/png;base64 omitted")
    assert done.result["images"][0]["url"].startswith("<data:") and done.result["seed"] == 1
    assert [e.request_id for e in j.entries(endpoint="fal-ai/other")] == ["r2"]
    assert [e.request_id for e in j.entries(status="SUBMITTED")] == ["r2"]
    assert len(j.entries(limit=1)) == 1
    with pytest.raises(ValueError, match="limit"):
        j.entries(limit=-1)
    assert shrink({"x": ["data:a;base64,xx"]}) == {"x": ["data:a;base64,xx"]}

    def writer(n: int) -> None:  # concurrent writers from threads share the file safely
        other = Journal(tmp_path / "j.sqlite3")
        for i in range(20):
            _record(other, f"t{n}-{i}", prompt=str(i))

    threads = [threading.Thread(target=writer, args=(n,)) for n in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(j.entries()) == 82


def test_journal_recovery_after_sigkill(local_server: Any) -> None:
    """A process submits and is SIGKILLed before any result; a new process fetches them all."""
    submit = textwrap.dedent(f"""
        import sys, time
        from falwidgets import Client
        client = Client(base_url={local_server.url!r})
        for i in range(3):
            h = client.submit("fal-ai/flux-realism", {{"prompt": f"lost {{i}}"}})
            print(h.request_id, flush=True)
        print("ready", flush=True)
        time.sleep(600)
    """)
    env = dict(os.environ)  # the same FALWIDGETS_HOME (isolated per test by the root conftest)
    child = subprocess.Popen([PY, "-c", submit], stdout=subprocess.PIPE, text=True, env=env)
    try:
        ids = []
        for line in child.stdout:  # type: ignore[union-attr]
            if line.strip() == "ready":
                break
            ids.append(line.strip())
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=10)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL and len(ids) == 3
    resume = textwrap.dedent(f"""
        import json
        from falwidgets import Client, journal
        client = Client(base_url={local_server.url!r})
        pending = journal(status="SUBMITTED")
        out = {{e.request_id: client.resume(e).result(timeout=60)["prompt"] for e in pending}}
        print(json.dumps(out))
    """)
    done = subprocess.run([PY, "-c", resume], capture_output=True, text=True, env=env, timeout=120)
    assert done.returncode == 0, done.stderr
    fetched = json.loads(done.stdout)
    assert sorted(fetched) == sorted(ids)
    assert sorted(fetched.values()) == ["lost 0", "lost 1", "lost 2"]
    assert {e.status for e in journal()} == {"COMPLETED"}


def _cli(
    *args: str, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [PY, "-m", "falwidgets", *args],
        capture_output=True,
        text=True,
        timeout=120,
        env={**os.environ, **(env or {})},
        cwd=cwd,
    )


def test_cli_run_against_a_base_url(local_server: Any, tmp_path: Path) -> None:
    spec = tmp_path / "in.json"
    spec.write_text(json.dumps({"prompt": "a lighthouse at dusk"}))
    done = _cli(
        "run",
        "fal-ai/flux-realism",
        "--input",
        f"@{spec}",
        "--base-url",
        local_server.url,
        "--logs",
    )
    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout)["images"][0]["url"].startswith(local_server.url)
    assert "step 1/" in done.stderr and "completed" in done.stderr
    assert "embedded local server" not in done.stderr
    bad = _cli(
        "run",
        "fal-ai/minimax-music/v1.5",
        "--input",
        '{"prompt": "x"}',
        "--base-url",
        local_server.url,
        "--json",
    )
    assert bad.returncode == 1 and bad.stdout == ""
    assert "InputRejected" in bad.stderr and "lyrics_prompt" in bad.stderr
    broken = _cli("run", "fal-ai/flux-realism", "--input", "{not json")
    assert broken.returncode != 0 and "not valid JSON" in broken.stderr


def test_cli_main_job_starts_the_embedded_server(tmp_path: Path) -> None:
    """The README's first command, with no key and no --base-url (its media land in cwd)."""
    done = _cli(
        "run",
        "fal-ai/flux-realism",
        "--input",
        '{"prompt": "a lighthouse at dusk"}',
        "--logs",
        cwd=tmp_path,
    )
    assert done.returncode == 0, done.stderr
    assert done.stderr.splitlines()[0].startswith("falwidgets: no FAL_KEY and no --base-url")
    assert json.loads(done.stdout)["prompt"] == "a lighthouse at dusk"


def test_cli_json_success_path(local_server: Any) -> None:
    done = _cli(
        "run",
        "fal-ai/flux-realism",
        "--input",
        '{"prompt": "json mode"}',
        "--base-url",
        local_server.url,
        "--json",
    )
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["prompt"] == "json mode"  # compact, one line
    updates = [json.loads(line) for line in done.stderr.splitlines()[1:]]
    assert updates[-1]["status"] == "Completed" and updates[-1]["error"] is None
    assert {"Completed"} <= {u["status"] for u in updates}


@pytest.mark.parametrize(
    ("args", "needle"),
    [
        (("badid",), "invalid endpoint id 'badid'"),
        (("../../x",), "relative segment"),
        (("fal-ai/flux realism",), "characters other than"),
        (("fal-ai/flux-realism", "--timeout", "0", "--base-url", "http://127.0.0.1:9"), "timeout"),
    ],
)
def test_cli_bad_input_is_one_line_and_exit_1(args: tuple[str, ...], needle: str) -> None:
    done = _cli("run", *args)
    assert done.returncode == 1 and done.stdout == ""
    assert "Traceback" not in done.stderr and needle in done.stderr
    assert len(done.stderr.strip().splitlines()) == 1


def test_a_corrupt_row_is_listed_as_unreadable_not_raised(tmp_path: Path) -> None:
    """One row with broken JSON (a crash mid-write, a hand edit) must not break every listing:
    it comes back with the broken fields empty and an error saying it is unreadable."""
    import sqlite3

    j = Journal(tmp_path / "j.sqlite3")
    _record(j, "good", prompt="a")
    _record(j, "bad", prompt="b")
    j.record_final("bad", "COMPLETED", result={"seed": 1}, metrics={"inference_time": 1.0})
    j.flush(5)
    with sqlite3.connect(j.path) as conn:
        conn.execute(
            "UPDATE requests SET result = '{bad json', arguments = '[' WHERE request_id = 'bad'"
        )
    by_id = {e.request_id: e for e in j.entries()}
    assert set(by_id) == {"good", "bad"} and by_id["good"].error is None
    bad = by_id["bad"]
    assert bad.result is None and bad.arguments == {} and bad.metrics == {"inference_time": 1.0}
    assert bad.error is not None and "unreadable" in bad.error and "result" in bad.error
