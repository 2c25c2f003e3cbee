"""The official JS client (`@fal-ai/client`, pinned in js/package.json) against the local server."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

from falwidgets.server import serve

SCRIPTS = Path(__file__).with_name("js")


def test_a_cut_stream_is_an_error_the_js_client_can_catch(js_modules: Path) -> None:
    """With `drop`, a stream starts (one event) and is then cut: `fal.stream` reports the cut
    as an error its caller catches, and Node lives (a body-less cut ended the process)."""
    node = shutil.which("node")
    assert node is not None, "node is a requirement of the test suite"
    with serve(port=0, speed=0.1, faults="drop=1") as server:
        run = subprocess.run(
            [node, str(SCRIPTS / "stream_cut.cjs"), str(js_modules), server.url],
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert run.returncode == 0, run.stderr[-2000:]
    outcome = json.loads(run.stdout.strip().splitlines()[-1])
    assert outcome["events"] == 1
    assert outcome["error"]  # the cut, as an error the script caught
