"""The live panel in marimo (`marimo run`): typing streams frames, the last prompt's frame last.

marimo renders anywidgets in an open shadow root (Playwright locators pierce it, document queries do
not) and gives each page load its own kernel; see ../shared/marimo-anywidget.md. The server runs in
its own process group with a private HOME, and only that group is stopped afterwards.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.browser

TYPED = "a blue whale at night"
NOTEBOOK = textwrap.dedent(
    """
    import marimo

    app = marimo.App()


    @app.cell
    def _():
        import falwidgets

        panel = falwidgets.live("fal-ai/flux-2/klein/realtime")
        panel
        return
    """
)

_WATCH_JS = """
root => {
  window.__fwSeen = [];
  new MutationObserver(() => {
    const prompt = root.dataset.framePrompt;
    const seen = window.__fwSeen;
    if (prompt && seen[seen.length - 1] !== prompt) seen.push(prompt);
  }).observe(root, {attributes: true, attributeFilter: ['data-frame-prompt']});
}
"""


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="module")
def marimo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    folder = tmp_path_factory.mktemp("marimo-live")
    (folder / "live.py").write_text(NOTEBOOK)
    home = folder / "home"
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".state"),
        "MARIMO_SKIP_UPDATE_CHECK": "1",
        "FALWIDGETS_HOME": str(folder / "falwidgets-home"),
        "PYTHONPATH": os.pathsep.join(
            [str(Path(__file__).resolve().parents[2] / "src"), os.environ.get("PYTHONPATH", "")]
        ),
    }
    for name in ("FAL_KEY", "FAL_KEY_ID", "FAL_KEY_SECRET"):
        env.pop(name, None)
    port = _free_port()
    command = [sys.executable, "-m", "marimo", "run", "live.py", "--headless", "--no-token"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    try:
        while True:
            assert process.poll() is None, "marimo exited early"
            try:
                urllib.request.urlopen(url + "/health", timeout=2).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "marimo did not start within 60 s"
                time.sleep(0.1)
        yield url
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)


def test_typing_into_the_live_panel_in_marimo(
    marimo_url: str, browser_context: Any, artifacts_dir: Path
) -> None:
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.goto(marimo_url + "/")
        prompt = page.locator(".fw-live textarea[name=prompt]")  # inside marimo's shadow root
        prompt.wait_for(timeout=60_000)
        assert page.locator(".fw-live input[name=output_feedback_strength]").count() == 1
        root = page.locator(".fw-live")
        root.evaluate(_WATCH_JS)
        prompt.fill("")
        prompt.press_sequentially(TYPED, delay=120)
        page.locator(f'.fw-live[data-frame-prompt="{TYPED}"]').wait_for(timeout=30_000)
        seen = page.evaluate("() => window.__fwSeen")
        assert len(set(seen)) >= 5, seen
        assert seen[-1] == TYPED
        assert all(TYPED.startswith(text) for text in seen), seen
        image = page.locator(".fw-live img")
        image.evaluate(
            "img => new Promise(ok => img.complete && img.naturalWidth ? ok() : img.onload = ok)"
        )
        assert image.evaluate("img => img.naturalWidth") == 512
        assert not errors, errors
        root.screenshot(path=str(artifacts_dir / "live-panel-marimo.png"))
    finally:
        page.close()
