"""Real-browser harness: one JupyterLab server and one headless Debian Chromium per test session.

Follows shared/browser-testing.md (measured on this machine): Playwright drives the Debian
``chromium`` through ``executable_path`` (never ``playwright install``); JupyterLab runs on
127.0.0.1 with isolated Jupyter directories and settings overrides; a notebook is written, opened,
and run with ``runmenu:run-all`` only after the kernel is really connected (``window.jupyterapp``).
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import nbformat

from _wait import wait_until

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--enable-unsafe-swiftshader",
]
SETTINGS_OVERRIDES = {
    "@jupyterlab/notebook-extension:tracker": {"windowingMode": "none"},
    "@jupyterlab/apputils-extension:notification": {"fetchNews": "false", "checkForUpdates": False},
}
SERVER_START_S = 60.0
KERNEL_READY_MS = 60_000
RUN_ALL_MS = 120_000


def chromium_path() -> str | None:
    """The Chromium binary to drive (``CHROMIUM`` overrides), or None when it is not installed."""
    candidate = os.environ.get("CHROMIUM", "/usr/bin/chromium")
    resolved = shutil.which(candidate) or (candidate if Path(candidate).is_file() else None)
    return resolved


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class LabServer:
    """A JupyterLab process on 127.0.0.1 in its own process group, with a private token and dirs."""

    workdir: Path
    env_extra: dict[str, str] = field(default_factory=dict)
    port: int = 0
    token: str = field(default_factory=lambda: secrets.token_hex(16))
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def notebook_dir(self) -> Path:
        return self.workdir / "notebooks"

    @property
    def log_path(self) -> Path:
        return self.workdir / "jupyterlab.log"

    def start(self) -> LabServer:
        state = self.workdir / "state"
        settings = state / "app-settings"
        for path in (self.notebook_dir, settings, state / "user-settings", state / "workspaces"):
            path.mkdir(parents=True, exist_ok=True)
        (settings / "overrides.json").write_text(json.dumps(SETTINGS_OVERRIDES))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FAL_KEY", "JUPYTER"))}
        env.update(
            JUPYTER_CONFIG_DIR=str(state / "config"),
            JUPYTER_DATA_DIR=str(state / "data"),
            JUPYTER_RUNTIME_DIR=str(state / "runtime"),
            IPYTHONDIR=str(state / "ipython"),
            JUPYTER_PLATFORM_DIRS="1",
            PYTHONUNBUFFERED="1",
        )
        env.update(self.env_extra)
        self.port = _free_port()
        jupyter = Path(sys.executable).with_name("jupyter")
        command = [
            str(jupyter),
            "lab",
            "--no-browser",
            "--ip=127.0.0.1",
            f"--port={self.port}",
            "--ServerApp.port_retries=0",
            "--allow-root",
            f"--IdentityProvider.token={self.token}",
            f"--ServerApp.root_dir={self.notebook_dir}",
            f"--LabApp.app_settings_dir={settings}",
            f"--LabApp.user_settings_dir={state / 'user-settings'}",
            f"--LabApp.workspaces_dir={state / 'workspaces'}",
            "--LabApp.expose_app_in_browser=True",
        ]
        log = self.log_path.open("wb")
        self.process = subprocess.Popen(
            command, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        log.close()
        self._wait_ready()
        return self

    def _wait_ready(self) -> None:
        def ready() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"JupyterLab exited at start:\n{self.log_tail()}")
            try:
                answer = httpx.get(
                    f"{self.url}/api/status", params={"token": self.token}, timeout=2
                )
            except httpx.HTTPError:
                return False
            return answer.status_code == 200

        try:
            wait_until(ready, SERVER_START_S, "JupyterLab's /api/status", interval=0.2)
        except AssertionError:
            self.stop()
            raise RuntimeError(
                f"JupyterLab not ready in {SERVER_START_S:.0f} s:\n{self.log_tail()}"
            ) from None

    def log_tail(self, lines: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        except OSError:
            return "(no log)"

    def stop(self) -> None:
        """Ask the server to shut down (it stops its kernels), then end its process group."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        try:
            httpx.post(
                f"{self.url}/api/shutdown",
                headers={"Authorization": f"token {self.token}"},
                timeout=5,
            )
            process.wait(timeout=10)
        except (httpx.HTTPError, subprocess.TimeoutExpired):
            _end_process_group(process)

    def shutdown_kernel_of(self, path: str) -> None:
        """Delete the session (and kernel) of one notebook so idle kernels do not pile up."""
        headers = {"Authorization": f"token {self.token}"}
        try:
            sessions = httpx.get(f"{self.url}/api/sessions", headers=headers, timeout=5).json()
            for session in sessions:
                if session.get("path") == path:
                    httpx.delete(
                        f"{self.url}/api/sessions/{session['id']}", headers=headers, timeout=10
                    )
        except httpx.HTTPError:
            pass


def _end_process_group(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL, the process group a harness server was started in."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        try:
            os.killpg(process.pid, sig)
            process.wait(timeout=5)
            return
        except ProcessLookupError:
            return
        except subprocess.TimeoutExpired:
            continue


@dataclass
class VoilaServer:
    """Voila serving the lab's notebook directory (same isolated Jupyter dirs), started on demand.

    Notebooks render at ``/voila/render/<name>.ipynb``. Voila has no /api/status: any HTTP answer
    means it listens. Stop with SIGTERM (it stops its kernels).
    """

    lab_server: LabServer
    port: int = 0
    process: subprocess.Popen[bytes] | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> VoilaServer:
        state = self.lab_server.workdir / "state"
        env = {k: v for k, v in os.environ.items() if not k.startswith(("FAL_KEY", "JUPYTER"))}
        env.update(
            JUPYTER_CONFIG_DIR=str(state / "config"),
            JUPYTER_DATA_DIR=str(state / "data"),
            JUPYTER_RUNTIME_DIR=str(state / "runtime"),
            IPYTHONDIR=str(state / "ipython"),
            JUPYTER_PLATFORM_DIRS="1",
        )
        env.update(self.lab_server.env_extra)
        self.port = _free_port()
        log = (self.lab_server.workdir / "voila.log").open("wb")
        self.process = subprocess.Popen(
            [
                str(Path(sys.executable).with_name("voila")),
                str(self.lab_server.notebook_dir),
                "--no-browser",
                "--Voila.ip=127.0.0.1",
                f"--port={self.port}",
                "--Voila.port_retries=0",
                "--show_tracebacks=True",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        process = self.process

        def listening() -> bool:
            if process.poll() is not None:
                raise RuntimeError("Voila exited at start (see voila.log in the lab workdir)")
            try:
                httpx.get(f"{self.url}/voila/__ready__", timeout=2)
            except httpx.HTTPError:
                return False
            return True

        try:
            wait_until(listening, SERVER_START_S, "Voila listening", interval=0.2)
        except AssertionError:
            self.stop()
            raise RuntimeError(f"Voila not listening in {SERVER_START_S:.0f} s") from None
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            _end_process_group(self.process)


def write_notebook(directory: Path, name: str, cells: Iterable[str]) -> Path:
    """Write code cells as ``name.ipynb`` with the python3 kernel."""
    notebook = nbformat.v4.new_notebook()
    notebook.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    notebook.cells = [nbformat.v4.new_code_cell(source) for source in cells]
    path = directory / f"{name}.ipynb"
    nbformat.write(notebook, path)
    return path


_KERNEL_READY_JS = """
async ([path, budget]) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const deadline = Date.now() + budget;
  const bounded = (promise, what) => Promise.race([promise, sleep(budget).then(() => {
    throw new Error("timed out waiting for " + what);
  })]);
  const app = window.jupyterapp;
  if (!app) throw new Error("window.jupyterapp missing (expose_app_in_browser)");
  await bounded(app.started, "app.started");
  await bounded(app.restored, "app.restored");
  let panel = null;
  while (Date.now() < deadline) {
    const w = app.shell.currentWidget;
    if (w && w.context && w.context.path === path && w.sessionContext) { panel = w; break; }
    await sleep(100);
  }
  if (!panel) throw new Error("notebook panel not current: " + path);
  await bounded(panel.context.ready, "the notebook's context");
  await bounded(panel.sessionContext.ready, "the session");
  while (Date.now() < deadline) {
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    if (kernel) {
      await bounded(kernel.info, "kernel info");
      if (kernel.connectionStatus === "connected" && kernel.status === "idle") return true;
    }
    await sleep(100);
  }
  throw new Error("kernel not connected and idle in time");
}
"""

_RUN_ALL_JS = """
async ([path, budget]) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  if (!panel || panel.context.path !== path) throw new Error("notebook not current: " + path);
  const deadline = Date.now() + budget;
  // resolves when every cell has run; bounded, since a cell may never finish
  const run = app.commands.execute("runmenu:run-all").catch((e) => e);
  await Promise.race([run, sleep(budget)]);
  const cells = () => panel.content.widgets.filter((c) => c.model.type === "code");
  while (Date.now() < deadline) {
    const kernel = panel.sessionContext.session && panel.sessionContext.session.kernel;
    const done = cells().every((c) => c.model.executionCount !== null);
    if (done && kernel && kernel.status === "idle") break;
    const failed = cells().some((c) =>
      c.model.outputs.toJSON().some((o) => o.output_type === "error"));
    if (failed && kernel && kernel.status === "idle") break;
    await sleep(100);
  }
  const errors = [];
  for (const [i, c] of cells().entries()) {
    for (const o of c.model.outputs.toJSON()) {
      if (o.output_type === "error") errors.push(`cell ${i}: ${o.ename}: ${o.evalue}`);
    }
  }
  const pending = cells().filter((c) => c.model.executionCount === null).length;
  return { errors, pending };
}
"""


_EXECUTE_JS = """
async ([code, budget]) => {
  const panel = window.jupyterapp.shell.currentWidget;
  const kernel = panel.sessionContext.session.kernel;
  const future = kernel.requestExecute({ code, store_history: false });
  const out = [];
  let error = null;
  future.onIOPub = (msg) => {
    const t = msg.header.msg_type;
    if (t === "stream") out.push(msg.content.text);
    if (t === "error") error = `${msg.content.ename}: ${msg.content.evalue}`;
    if (t === "execute_result") out.push(String(msg.content.data["text/plain"] || ""));
  };
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error("kernel did not answer in time")), budget));
  await Promise.race([future.done, timeout]);
  return { out: out.join(""), error };
}
"""


class NotebookError(AssertionError):
    """A cell of a browser-run notebook raised, or cells did not finish in time."""


@dataclass
class Lab:
    """What tests use: write a notebook, open it in Chromium, run all, and hand back the page."""

    server: LabServer
    context: Any  # playwright BrowserContext
    artifacts: Path
    page_errors: dict[int, list[str]] = field(default_factory=dict)
    voila_server: VoilaServer | None = None

    def open_page(self) -> Any:
        """A new tab that records uncaught page errors (see ``errors_of``)."""
        page = self.context.new_page()
        errors: list[str] = []
        self.page_errors[id(page)] = errors
        page.on("pageerror", lambda err: errors.append(str(err)))
        return page

    def errors_of(self, page: Any) -> list[str]:
        return self.page_errors.get(id(page), [])

    def run_notebook(
        self,
        cells: list[str],
        name: str,
        *,
        allow_errors: bool = False,
        page: Any = None,
        timeout_ms: int = RUN_ALL_MS,
    ) -> Any:
        """Write ``cells`` as ``name.ipynb``, open it, wait for the kernel, run all; return the tab.

        Raises NotebookError with the cells' tracebacks when a cell failed (unless allow_errors).
        """
        write_notebook(self.server.notebook_dir, name, cells)
        path = f"{name}.ipynb"
        given = page is not None
        page = page or self.open_page()
        page.goto(
            f"{self.server.url}/lab/tree/{path}?token={self.server.token}&reset",
            wait_until="domcontentloaded",
        )
        page.wait_for_selector(".jp-Notebook .jp-Cell", timeout=KERNEL_READY_MS)
        page.evaluate(_KERNEL_READY_JS, [path, KERNEL_READY_MS])
        outcome = page.evaluate(_RUN_ALL_JS, [path, timeout_ms])
        problem = None
        if outcome["errors"] and not allow_errors:
            problem = ("error", f"{path} failed:\n" + "\n".join(outcome["errors"]))
        elif outcome["pending"] and not outcome["errors"]:
            left, seconds = outcome["pending"], timeout_ms / 1000
            problem = ("timeout", f"{path}: {left} cells unfinished after {seconds:.0f} s")
        if problem is not None:
            self.screenshot(page, f"{name}-{problem[0]}")
            if not given:  # nobody else holds this tab: close it and stop its kernel
                self.close(page, name)
            raise NotebookError(problem[1])
        return page

    def execute(self, page: Any, code: str, *, timeout_ms: int = 30_000) -> str:
        """Run ``code`` in the kernel of the notebook open in ``page`` (not as a cell) and return
        its printed output: lets a test change widget state from the kernel after rendering."""
        outcome = page.evaluate(_EXECUTE_JS, [code, timeout_ms])
        if outcome["error"]:
            raise NotebookError(f"kernel code failed: {outcome['error']}")
        return outcome["out"]

    def voila(self, cells: list[str], name: str, *, ready_selector: str) -> Any:
        """Render ``cells`` with Voila (started on first use) and wait for ``ready_selector``.

        Voila hides code and shows outputs only; a cell error shows as a traceback, which this
        raises as NotebookError.
        """
        if self.voila_server is None:
            self.voila_server = VoilaServer(self.server).start()
        write_notebook(self.server.notebook_dir, name, cells)
        page = self.open_page()
        page.goto(f"{self.voila_server.url}/voila/render/{name}.ipynb", wait_until="commit")
        page.wait_for_selector(f"{ready_selector}, .jp-OutputArea-output pre", timeout=RUN_ALL_MS)
        error = page.locator("[data-mime-type='application/vnd.jupyter.stderr']")
        if error.count():
            self.screenshot(page, f"{name}-voila-error")
            message = error.first.inner_text()[:2000]
            self.close(page)
            raise NotebookError(f"{name} failed in Voila:\n{message}")
        page.wait_for_selector(ready_selector, timeout=RUN_ALL_MS)
        return page

    def stop(self) -> None:
        if self.voila_server is not None:
            self.voila_server.stop()

    def close(self, page: Any, name: str | None = None) -> None:
        """Close the tab and, given the notebook name, shut its kernel down."""
        self.page_errors.pop(id(page), None)
        page.close()
        if name:
            self.server.shutdown_kernel_of(f"{name}.ipynb")

    def screenshot(self, page: Any, name: str, *, selector: str | None = None) -> Path:
        """Save a PNG under tests/artifacts/ (the whole page, or one element)."""
        path = self.artifacts / f"{name}.png"
        try:
            if selector:
                page.locator(selector).first.screenshot(path=str(path), timeout=10_000)
            else:
                page.screenshot(path=str(path), full_page=True, timeout=10_000)
        except Exception as err:  # a screenshot must never hide the real failure
            path.with_suffix(".txt").write_text(f"screenshot failed: {err}")
        return path


CANVAS_PIXELS_JS = """
(canvas) => {
  const w = canvas.width, h = canvas.height;
  const copy = document.createElement("canvas");
  copy.width = w; copy.height = h;
  const ctx = copy.getContext("2d");
  ctx.drawImage(canvas, 0, 0);
  const data = ctx.getImageData(0, 0, w, h).data;
  const bg = [data[0], data[1], data[2]];
  let differing = 0;
  const buckets = new Set();
  for (let i = 0; i < data.length; i += 4) {
    const diff = Math.abs(data[i] - bg[0]) + Math.abs(data[i + 1] - bg[1])
      + Math.abs(data[i + 2] - bg[2]);
    if (diff > 30) differing++;
    buckets.add(((data[i] >> 4) << 8) | ((data[i + 1] >> 4) << 4) | (data[i + 2] >> 4));
  }
  const fraction = differing / (w * h);
  return { width: w, height: h, fraction, buckets: buckets.size, background: bg };
}
"""


def canvas_pixels(locator: Any) -> dict[str, Any]:
    """Coarse pixel statistics of a WebGL canvas (needs preserveDrawingBuffer)."""
    return locator.evaluate(CANVAS_PIXELS_JS)
