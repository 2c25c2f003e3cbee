"""The face (issue 11) in a real marimo server (`marimo run`), light and dark: the same checks as
in JupyterLab (layout at 1440/800 px, presets, focus of the first error in "Additional settings",
one submission per double click, result image >= 480 px, banner contrast >= 4.5:1). Stock
ipywidgets do not render in marimo at all; these widgets are drawn by our own front end."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from face_checks import banner_contrast, choose_preset, columns, custom_size, focused_field

pytestmark = pytest.mark.browser

NOTEBOOK = """
import marimo

app = marimo.App(width="full")


@app.cell
def _():
    import marimo as mo
    from falwidgets.client import AsyncClient
    from falwidgets.runner._backend import local_server
    from falwidgets import app

    server = local_server()
    return AsyncClient, app, mo, server


@app.cell
def _(app):
    flux = app("fal-ai/flux-realism")
    flux
    return (flux,)


@app.cell
def _(AsyncClient, app, server):
    big = app("fal-ai/post-processing", client=AsyncClient(base_url=server.url))
    big
    return (big,)


@app.cell
def _(big, flux, mo, server):
    def _banner(value):
        flux.banner = {"title": "Server unreachable", "detail": "connection refused",
                       "request_id": "req-123"}
        return value

    def _refused(value):
        big.show_errors([{"loc": ["body", "grain_intensity"],
                          "msg": "Input should be less than or equal to 1"}])
        return value

    # marimo runs on_click only for UI elements bound to global names
    banner_button = mo.ui.button(label="show banner", on_click=_banner)
    refuse_button = mo.ui.button(label="server 422", on_click=_refused)
    mo.hstack([banner_button, refuse_button,
               mo.md(f"<span class='server-url'>{server.url}</span>")])
    return banner_button, refuse_button
"""


def _wait(predicate: Any, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(0.1)


def _submissions(url: str, endpoint: str) -> int:
    data = httpx.get(url + "/_falwidgets/submissions", timeout=10).json()
    return sum(c["count"] for c in data["submissions"] if c["endpoint"] == endpoint)


@pytest.fixture(scope="module")
def face_marimo(marimo_server: Any) -> Any:
    return marimo_server(NOTEBOOK, "face")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_face_in_marimo(
    face_marimo: Any, browser_context: Any, artifacts_dir: Path, theme: str
) -> None:
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.set_viewport_size({"width": 1440, "height": 900})
        page.goto(f"{face_marimo.url}/?theme={theme}")
        apps = page.locator(".fw-app[data-ready='1']")
        apps.nth(1).wait_for(timeout=60_000)
        flux, big = apps.nth(0), apps.nth(1)
        assert page.get_by_text("Jupyter widgets are not supported in marimo").count() == 0

        _wait(lambda: columns(flux)["two"], what="two columns at 1440 px")
        page.screenshot(path=str(artifacts_dir / f"face-marimo-{theme}-1440.png"))
        page.set_viewport_size({"width": 800, "height": 900})
        _wait(lambda: not columns(flux)["two"], what="stacked at 800 px")
        page.screenshot(path=str(artifacts_dir / f"face-marimo-{theme}-800.png"))
        page.set_viewport_size({"width": 1440, "height": 900})

        choose_preset(flux, "portrait_4_3")
        choose_preset(flux, "__custom__")
        assert custom_size(flux) == ("768", "1024")
        choose_preset(flux, "landscape_4_3")

        url = page.locator(".server-url").text_content(timeout=30_000).strip()
        before = _submissions(url, "fal-ai/flux-realism")
        flux.locator(".fw-run").click()  # the prompt is empty: refused locally, prompt focused
        flux.locator(".fw-c-prompt.fw-has-error").wait_for()
        _wait(lambda: focused_field(flux)["path"] == "prompt", what="prompt focused")
        flux.locator("textarea.fw-prompt").fill(f"a harbour in marimo ({theme})")
        flux.locator(".fw-run:not([disabled])").wait_for()
        flux.locator(".fw-run").dblclick()
        flux.locator(".fw-status[data-state='done']").wait_for(timeout=60_000)
        assert _submissions(url, "fal-ai/flux-realism") - before == 1
        image = flux.locator(".fw-result img").first
        _wait(lambda: image.evaluate("(i) => i.complete && i.naturalWidth > 0"), what="image")
        assert image.bounding_box()["width"] >= 480

        # Ctrl/Cmd+Enter in the form runs it, as in fal's Playground
        again = _submissions(url, "fal-ai/flux-realism")
        flux.get_by_label("Prompt").fill(f"another harbour ({theme})")
        flux.locator(".fw-run:not([disabled])").wait_for()
        flux.get_by_label("Prompt").press("Control+Enter")
        _wait(lambda: _submissions(url, "fal-ai/flux-realism") - again == 1, what="Ctrl+Enter run")
        flux.locator(".fw-status[data-state='done']").wait_for(timeout=60_000)

        page.get_by_role("button", name="show banner").click()
        flux.locator(".fw-banner:not([hidden])").wait_for()
        ratios = banner_contrast(flux)
        assert ratios and min(ratios.values()) >= 4.5, ratios
        flux.screenshot(path=str(artifacts_dir / f"face-marimo-{theme}-result.png"))

        page.get_by_role("button", name="server 422").click()
        _wait(lambda: focused_field(big)["path"] == "grain_intensity", what="focus in settings")
        where = focused_field(big)
        assert where["inSettings"] and where["settingsOpen"], where
        big.screenshot(path=str(artifacts_dir / f"face-marimo-{theme}-big-error.png"))
        assert not errors, errors
    finally:
        page.close()


def test_quickstart_notebook_in_marimo(
    marimo_server: Any, browser_context: Any, artifacts_dir: Path
) -> None:
    """notebooks/marimo/01_quickstart.py served as an app: the Playground shows its run."""
    source = (Path(__file__).parents[2] / "notebooks" / "marimo" / "01_quickstart.py").read_text()
    server = marimo_server(source, "quickstart")
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.set_viewport_size({"width": 1440, "height": 900})
        page.goto(server.url + "/")
        app = page.locator(".fw-app[data-ready='1']").first
        app.wait_for(timeout=60_000)
        app.locator(".fw-status[data-state='done']").wait_for(timeout=90_000)
        image = app.locator(".fw-result img").first
        _wait(lambda: image.evaluate("(i) => i.complete && i.naturalWidth > 0"), what="image")
        assert image.bounding_box()["width"] >= 480
        page.screenshot(path=str(artifacts_dir / "face-marimo-quickstart.png"))
        assert not errors, errors
    finally:
        page.close()
