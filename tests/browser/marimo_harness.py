"""`marimo run` of a generated notebook for browser tests, in its own process group with a
private HOME; only that group is stopped afterwards.

Generalises the fixture of ``test_browser_live_marimo.py`` (which can move onto it). marimo renders
anywidgets only (stock ipywidgets show "Jupyter widgets are not supported"), inside an open shadow
root that Playwright locators pierce; see ../shared/marimo-anywidget.md.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

SRC = Path(__file__).resolve().parents[2] / "src"


def notebook(*cells: str) -> str:
    """A marimo notebook whose cells are the given code blocks (each its own cell)."""
    body = "\n\n".join(
        "@app.cell\ndef _():\n"
        + textwrap.indent(textwrap.dedent(c).strip(), "    ")
        + "\n    return\n"
        for c in cells
    )
    return "import marimo\n\napp = marimo.App()\n\n\n" + body


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextmanager
def marimo_server(folder: Path, source: str, start_timeout: float = 60.0) -> Iterator[str]:
    """Serve ``source`` with ``marimo run``; yields the base URL."""
    (folder / "nb.py").write_text(source)
    home = folder / "home"
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / ".config"),
        "XDG_CACHE_HOME": str(home / ".cache"),
        "XDG_STATE_HOME": str(home / ".state"),
        "MARIMO_SKIP_UPDATE_CHECK": "1",
        "FALWIDGETS_HOME": str(folder / "falwidgets-home"),
        "PYTHONPATH": os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
    }
    for name in ("FAL_KEY", "FAL_KEY_ID", "FAL_KEY_SECRET"):
        env.pop(name, None)
    port = _free_port()
    command = [sys.executable, "-m", "marimo", "run", "nb.py", "--headless", "--no-token"]
    process = subprocess.Popen(
        [*command, "--host", "127.0.0.1", "--port", str(port)],
        cwd=folder,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    url = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + start_timeout
    try:
        while True:
            if process.poll() is not None:
                raise AssertionError(f"marimo exited early (code {process.returncode})")
            try:
                urllib.request.urlopen(url + "/health", timeout=2).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise AssertionError(f"marimo did not start within {start_timeout} s") from None
                time.sleep(0.1)
        yield url
    finally:
        with contextlib.suppress(ProcessLookupError):  # it may have exited already
            os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(10)
