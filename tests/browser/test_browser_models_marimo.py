"""browse() and compare() views in marimo (`marimo run`): typing searches the bundled catalogue and
compare's cards fill with every model's result.

marimo shows anywidgets only, so the notebook displays the anywidget views (``b.view``,
``c.view``); the app a pick or "Open in app" opens is an ipywidgets App, which marimo cannot show
until the app itself is an anywidget, so picking is tested in JupyterLab only.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from marimo_harness import marimo_server, notebook

pytestmark = pytest.mark.browser

SOURCE = notebook(
    """
    import falwidgets as _fw
    b = _fw.browse()
    b.view
    """,
    """
    import falwidgets as _fw
    c = _fw.compare(
        ["fal-ai/flux-realism", "fal-ai/imagen4/preview", "fal-ai/fast-lcm-diffusion"],
        {"prompt": "a red fox", "image_size": "square", "seed": 3},
    )
    c.view
    """,
)


@pytest.fixture(scope="module")
def marimo_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    with marimo_server(tmp_path_factory.mktemp("marimo-models"), SOURCE) as url:
        yield url


def test_browse_and_compare_in_marimo(
    marimo_url: str, browser_context: Any, artifacts_dir: Path
) -> None:
    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.goto(marimo_url + "/")
        search = page.locator(".fw-browse-search")  # inside marimo's shadow root
        search.wait_for(timeout=60_000)
        search.press_sequentially("upscale video", delay=60)
        first = page.locator(".fw-browse-card").first
        page.locator(".fw-browse-card[data-endpoint='fal-ai/video-upscaler']").wait_for(
            timeout=30_000
        )
        assert first.get_attribute("data-endpoint") == "fal-ai/video-upscaler"
        status = page.locator(".fw-browse-status").text_content() or ""
        assert "models in the bundled catalogue" in status, status
        page.locator(".fw-compare-card[data-state='done']").nth(2).wait_for(timeout=90_000)
        assert page.locator(".fw-compare-card").count() == 3
        assert page.locator(".fw-compare-card img").count() == 3
        assert not errors, errors
        page.locator(".fw-browse").screenshot(path=str(artifacts_dir / "browse-marimo.png"))
        page.locator(".fw-compare").screenshot(path=str(artifacts_dir / "compare-marimo.png"))
    finally:
        page.close()
