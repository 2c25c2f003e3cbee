"""A real marimo server for browser tests (shared/marimo-anywidget.md §1-3, measured there).

`marimo run` serves a notebook in app view: every page load starts a fresh session that runs all
cells. The server gets its own HOME/XDG dirs (marimo writes config and logs there), its own
FALWIDGETS_HOME and no FAL_KEY, runs on a copy of the notebook in a temp dir (marimo writes
`__marimo__/` beside it) and is stopped through its own process group. Widgets live in open shadow
roots: use Playwright locators (they pierce), never document.querySelector.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

START_S = 60.0
SRC = Path(__file__).resolve().parents[2] / "src"  # this checkout's package, not another one


def marimo_available() -> bool:
    try:
        import marimo  # noqa: F401
    except ImportError:
        return False
    return True


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class MarimoServer:
    """`marimo run <notebook>` on 127.0.0.1 in its own process group."""

    workdir: Path
    source: str
    name: str = "nb"
    port: int = 0
    process: subprocess.Popen[bytes] | None = None
    env_extra: dict[str, str] = field(default_factory=dict)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log_path(self) -> Path:
        return self.workdir / f"marimo-{self.name}.log"

    def start(self) -> MarimoServer:
        self.workdir.mkdir(parents=True, exist_ok=True)
        notebook = self.workdir / f"{self.name}.py"
        notebook.write_text(textwrap.dedent(self.source))
        home = self.workdir / "home"
        env = {k: v for k, v in os.environ.items() if not k.startswith("FAL_KEY")}
        env.update(
            HOME=str(home),
            XDG_CONFIG_HOME=str(home / ".config"),
            XDG_CACHE_HOME=str(home / ".cache"),
            XDG_STATE_HOME=str(home / ".state"),
            MARIMO_SKIP_UPDATE_CHECK="1",
            FALWIDGETS_HOME=str(self.workdir / "falwidgets-home"),
            PYTHONUNBUFFERED="1",
            PYTHONPATH=os.pathsep.join([str(SRC), os.environ.get("PYTHONPATH", "")]),
        )
        env.update(self.env_extra)
        self.port = _free_port()
        command = [
            sys.executable,
            "-m",
            "marimo",
            "run",
            notebook.name,
            "--headless",
            "--no-token",
            "--host",
            "127.0.0.1",
            "--port",
            str(self.port),
        ]
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command,
            cwd=self.workdir,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        deadline = time.monotonic() + START_S
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"marimo exited at start:\n{self.log_tail()}")
            try:
                if httpx.get(self.url + "/health", timeout=2).status_code == 200:
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(f"marimo not ready in {START_S:.0f} s:\n{self.log_tail()}")

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        process = self.process
        if process is None or process.poll() is not None:
            return
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(process.pid, sig)
            except ProcessLookupError:
                return
            try:
                process.wait(timeout=10)
                return
            except subprocess.TimeoutExpired:
                continue


def notebook(*cells: str) -> str:
    """A marimo notebook whose cells are the given code blocks (each its own cell)."""
    body = "\n\n".join(
        "@app.cell\ndef _():\n"
        + textwrap.indent(textwrap.dedent(c).strip(), "    ")
        + "\n    return\n"
        for c in cells
    )
    return "import marimo\n\napp = marimo.App()\n\n\n" + body


@contextmanager
def marimo_server(folder: Path, source: str) -> Iterator[str]:
    """Serve ``source`` with ``marimo run`` (a :class:`MarimoServer`); yields the base URL."""
    server = MarimoServer(folder, source).start()
    try:
        yield server.url
    finally:
        server.stop()
