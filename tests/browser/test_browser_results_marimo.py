"""Result previews, history and sweep in a real marimo server (`marimo run`), light and dark.

Stock ipywidgets do not render in marimo at all; these are anywidgets drawn by our own front end
(the GLB viewer as a composed child). Widgets live in open shadow roots: Playwright locators
pierce them. Screenshots: tests/artifacts/marimo-results-<theme>-*.png.
"""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

NOTEBOOK = """
import marimo

app = marimo.App(width="full")


@app.cell
def _():
    import falwidgets
    from falwidgets.client import AsyncClient, Client
    from falwidgets.previews import Preview

    server = falwidgets.serve(port=0, speed=0.1)
    c = Client(base_url=server.url)
    shots = c.run("fal-ai/flux-realism", {"prompt": "three cups", "seed": 1,
                                          "num_inference_steps": 2})
    again = c.run("fal-ai/flux-realism", {"prompt": "three cups", "seed": 2,
                                          "num_inference_steps": 2})
    cup = shots["images"][0]["url"]
    return AsyncClient, Preview, c, cup, falwidgets, server, shots


@app.cell
def _(falwidgets, shots):
    falwidgets.preview(shots)
    return


@app.cell
def _(c, cup, falwidgets):
    clip = c.run("fal-ai/toon-crafter", {"keyframe_image_urls": [cup, cup], "prompt": "slide",
                                         "steps": 4})
    falwidgets.preview(clip)
    return


@app.cell
def _(c, falwidgets):
    music = c.run("fal-ai/minimax-music/v1.5", {"prompt": "calm piano",
                                               "lyrics_prompt": "[verse] soft light"})
    falwidgets.preview(music)
    return


@app.cell
def _(c, cup, falwidgets):
    mesh = c.run("fal-ai/meshy/v5/multi-image-to-3d", {"image_urls": [cup]})
    falwidgets.preview(mesh)
    return


@app.cell
def _(c, cup, falwidgets):
    asked = {"image_url": cup, "prompt": "cup"}
    found = c.run("fal-ai/moondream3-preview/detect", asked)
    falwidgets.preview(found, inputs=asked)
    return


@app.cell
def _(Preview, c):
    streamed = Preview()
    for step, partial in enumerate(c.stream("fal-ai/flux-krea-lora/stream",
                                            {"prompt": "a boat", "num_inference_steps": 4}), 1):
        streamed.stream(partial, step=step, total=4)
    streamed
    return


@app.cell
def _(AsyncClient, falwidgets, server):
    past = falwidgets.history(client=AsyncClient(base_url=server.url))
    past
    return


@app.cell
def _(falwidgets, server):
    from falwidgets.client import AsyncClient as _Async
    grid = falwidgets.sweep("fal-ai/flux-realism",
                            {"prompt": "a glass teapot", "num_inference_steps": 2},
                            grid={"seed": [1, 2], "guidance_scale": [2.0, 5.0, 8.0]},
                            client=_Async(base_url=server.url))
    grid.wait(120)
    grid
    return
"""


def _wait(predicate: Any, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(0.1)


@pytest.fixture(scope="module")
def results_marimo(marimo_server: Any) -> Any:
    return marimo_server(NOTEBOOK, "results")


@pytest.mark.parametrize("theme", ["light", "dark"])
def test_results_history_and_sweep_in_marimo(
    results_marimo: Any, browser_context: Any, artifacts_dir: Path, theme: str
) -> None:
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    shot = f"marimo-results-{theme}"
    try:
        page.set_viewport_size({"width": 1440, "height": 900})
        page.goto(f"{results_marimo.url}/?theme={theme}")
        page.locator(".fw-s-root[data-finished='1'][data-settled='1']").wait_for(timeout=120_000)
        assert page.get_by_text("Jupyter widgets are not supported in marimo").count() == 0
        previews = page.locator(".fw-preview-widget[data-ready='1']")
        _wait(lambda: previews.count() >= 6, what="six previews")

        image = previews.nth(0).locator("img.fw-r-image").first
        image.scroll_into_view_if_needed()
        _wait(lambda: image.evaluate("(i) => i.complete && i.naturalWidth > 0"), what="image")
        assert image.bounding_box()["width"] >= 480
        page.screenshot(path=str(artifacts_dir / f"{shot}-image.png"))

        page.locator("video.fw-r-video[data-ready='1']").wait_for(timeout=30_000)
        page.locator("audio.fw-r-audio[data-ready='1']").wait_for(timeout=30_000)
        glb = page.locator(".fw-glb[data-status^='loaded:']")
        glb.wait_for(timeout=60_000)
        assert glb.get_attribute("data-zoom") == "off"  # no wheel zoom until clicked
        assert page.locator(".fw-r-box-label").first.inner_text().startswith("cup")
        assert "step 4/4" in page.locator(".fw-r-stream").inner_text()
        page.locator(".fw-r-glb").scroll_into_view_if_needed()
        page.screenshot(path=str(artifacts_dir / f"{shot}-glb-boxes.png"))

        history = page.locator(".fw-h-root[data-ready='1']")
        rows = history.locator(".fw-h-row")
        _wait(lambda: rows.count() >= 2, what="history rows")
        rows.nth(0).locator(".fw-h-pick").check()
        rows.nth(1).locator(".fw-h-pick").check()
        detail = history.locator(".fw-h-detail-compare")
        detail.wait_for(timeout=30_000)
        assert detail.locator("tr.fw-h-diff th").count() >= 1  # (sweep or seed runs: both differ)
        assert detail.locator(".fw-h-outs img.fw-r-image").count() == 2
        history.scroll_into_view_if_needed()
        history.screenshot(path=str(artifacts_dir / f"{shot}-history.png"))

        sweep = page.locator(".fw-s-root")
        assert sweep.locator(".fw-s-summary").inner_text() == "6 ok"
        assert sweep.locator(".fw-s-images img").count() == 6
        sweep.scroll_into_view_if_needed()
        sweep.screenshot(path=str(artifacts_dir / f"{shot}-sweep.png"))
        assert not errors, errors
    finally:
        page.close()
