"""Browser fixtures: one JupyterLab and one Chromium for the session, notebooks run on demand.

Usage in a test (mark it ``@pytest.mark.browser``)::

    def test_x(run_notebook, lab):
        page = run_notebook(["import falwidgets", "falwidgets.form('fal-ai/flux-realism')"], "x")
        page.wait_for_selector(".fw-form")
        assert not lab.errors_of(page)

Tests skip (never fail) when the Chromium binary is missing; ``CHROMIUM`` overrides its path.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from browser_harness import CHROMIUM_FLAGS, Lab, LabServer, chromium_path
from marimo_harness import MarimoServer, marimo_available


@pytest.fixture(scope="session")
def chromium() -> str:
    path = chromium_path()
    if path is None:
        pytest.skip("Chromium is not installed (apt-get install chromium, or set CHROMIUM)")
    return path


@pytest.fixture(scope="session")
def lab_server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LabServer]:
    """JupyterLab on 127.0.0.1 for the whole session; its kernels get a private FALWIDGETS_HOME."""
    workdir = tmp_path_factory.mktemp("jupyterlab")
    server = LabServer(workdir, env_extra={"FALWIDGETS_HOME": str(workdir / "falwidgets-home")})
    server.start()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def browser_context(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """One headless Chromium (Debian's, through executable_path) with a fresh profile."""
    from playwright.sync_api import sync_playwright

    playwright = sync_playwright().start()
    try:
        context = playwright.chromium.launch_persistent_context(
            str(tmp_path_factory.mktemp("chromium-profile")),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 1800},
        )
        context.set_default_timeout(30_000)
        try:
            yield context
        finally:
            context.close()
    finally:
        playwright.stop()


@pytest.fixture(scope="session")
def lab(lab_server: LabServer, browser_context: Any, artifacts_dir: Path) -> Iterator[Lab]:
    """The harness: ``lab.run_notebook`` (JupyterLab), ``lab.voila``, ``lab.screenshot``,
    ``lab.errors_of(page)``; a Voila server starts only if a test asks for one."""
    harness = Lab(lab_server, browser_context, artifacts_dir)
    try:
        yield harness
    finally:
        harness.stop()


@pytest.fixture
def run_notebook(lab: Lab, request: pytest.FixtureRequest) -> Iterator[Callable[..., Any]]:
    """``run_notebook(cells, name, allow_errors=False) -> Page``; its tab and kernel are closed
    after the test."""
    opened: list[tuple[Any, str]] = []

    def run(cells: list[str], name: str, **kwargs: Any) -> Any:
        page = lab.run_notebook(cells, name, **kwargs)
        opened.append((page, name))
        return page

    yield run
    report = getattr(request.node, "rep_call", None)
    for page, name in opened:
        if report is not None and report.failed:  # before closing: the autouse hook is too late
            lab.screenshot(page, f"FAILED-{name}")
        lab.close(page, name)


@pytest.fixture(scope="module")
def marimo_server(chromium: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    """``marimo_server(source, name) -> MarimoServer`` (`marimo run`, started on first call and
    stopped after the module). Open ``server.url + "/?theme=dark"`` for the dark theme."""
    if not marimo_available():
        pytest.skip("marimo is not installed (pip install -e '.[test]')")
    started: list[MarimoServer] = []

    def start(source: str, name: str = "nb") -> MarimoServer:
        server = MarimoServer(tmp_path_factory.mktemp(f"marimo-{name}"), source, name).start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()


@pytest.fixture(autouse=True)
def _screenshot_failures(request: pytest.FixtureRequest) -> Iterator[None]:
    """After a failed test, save the tabs it was given by fixtures (module-scoped notebook pages)
    under tests/artifacts/; tabs from ``run_notebook`` are saved by that fixture."""
    yield
    report = getattr(request.node, "rep_call", None)
    if report is None or not report.failed or "lab" not in request.fixturenames:
        return
    lab: Lab = request.getfixturevalue("lab")
    safe = "".join(c if c.isalnum() or c in "-_" else "_" for c in request.node.name)
    funcargs = getattr(request.node, "funcargs", {})
    for name, value in funcargs.items():
        if hasattr(value, "screenshot") and hasattr(value, "is_closed") and not value.is_closed():
            lab.screenshot(value, f"FAILED-{safe}-{name}")


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Any:
    """Keep each phase's report on the item so fixtures can tell that their test failed."""
    report = yield
    setattr(item, f"rep_{report.when}", report)
    return report
