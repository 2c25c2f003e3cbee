"""The official JS client's `fal.realtime.connect` (@fal-ai/client, Node) against the local server
and through the workshop proxy, aimed as fal-platform.md section 5.2 describes."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from falwidgets.proxy import serve_proxy

SCRIPT = Path(__file__).with_name("js") / "fal_js_realtime.cjs"
STUDENT = "fwt_js_student_token_1"


@pytest.fixture(scope="module")
def fal_js(js_modules: Path) -> Path:
    """js/ with @fal-ai/client installed (from the lockfile when an older install lacks it)."""
    if not (js_modules / "@fal-ai" / "client").is_dir():
        npm = shutil.which("npm")
        assert npm, "npm is missing: install nodejs and npm"
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=js_modules.parent,
            check=True,
            timeout=300,
        )
    return js_modules.parent


def websocket_flag(node: str) -> list[str]:
    """Node 22+ has a global WebSocket; Node 20/21 need --experimental-websocket for it."""
    probe = subprocess.run(
        [node, "-e", "process.exit(typeof WebSocket === 'function' ? 0 : 1)"],
        capture_output=True,
        timeout=30,
    )
    return [] if probe.returncode == 0 else ["--experimental-websocket"]


def run_js(js_dir: Path, base: str, credentials: str, mode: str = "direct") -> dict[str, Any]:
    node = shutil.which("node")
    assert node, "node is missing: install nodejs"
    done = subprocess.run(
        [node, *websocket_flag(node), str(SCRIPT), str(js_dir), base, credentials, mode],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, (done.returncode, done.stdout, done.stderr[-2000:])
    return json.loads(done.stdout.strip().splitlines()[-1])


EXPECTED = {
    "prompts": ["js frame 0", "js frame 1", "js frame 2"],
    "image": "data:image/jpeg;base64,",
}


def test_js_client_realtime_against_the_local_server(fal_js: Path, local_server: Any) -> None:
    assert run_js(fal_js, local_server.url, "local:local") == EXPECTED


def test_js_client_realtime_through_the_proxy(fal_js: Path, local_server: Any) -> None:
    with serve_proxy(
        {STUDENT: "js-student"},
        upstream=local_server.url,
        allow=["fal-ai/fast-lcm-diffusion"],
        key="local-server-needs-no-key",
        budget=5,
    ) as proxy:
        assert run_js(fal_js, proxy.url, STUDENT, "proxy") == EXPECTED
        usage = proxy.usage()["js-student"]
    assert (usage["realtime_tokens"], usage["realtime_units"]) == (1, 1)
