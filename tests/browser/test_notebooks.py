"""The shipped notebooks in JupyterLab (and Voila): press Run, check the real result in the DOM.

Each test runs a notebook's code cells through the browser harness (after one cell that makes the
local server's demo jobs fast), then checks what a user sees: images loaded, media players with a
duration, the GLB canvas drawn, boxes over their image, logs and the queue position in the status
line, Cancel stopping a long job, and a 422 marked on its field. Screenshots go to tests/artifacts/.
"""

from __future__ import annotations

import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from browser_harness import canvas_pixels

pytestmark = pytest.mark.browser

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"
FAST = "import os\nos.environ['FALWIDGETS_SERVER_SPEED'] = '0.1'"


def _cells(name: str) -> list[str]:
    sys.path.insert(0, str(NOTEBOOKS))
    try:
        import make_notebooks
    finally:
        sys.path.remove(str(NOTEBOOKS))
    return [FAST] + [src for kind, src in make_notebooks.NOTEBOOKS[name] if kind == "code"]


_IMAGES_LOADED_JS = """
(sel) => {
  const imgs = [...document.querySelectorAll(sel)];
  return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
}
"""

_MEDIA_JS = """
async ([sel, index]) => {
  const el = document.querySelectorAll(sel)[index];
  if (!el) return null;
  if (el.readyState < 1) {
    await new Promise((resolve, reject) => {
      el.addEventListener('loadedmetadata', resolve, { once: true });
      el.addEventListener('error', () => reject(new Error('media error')), { once: true });
      el.load();
    });
  }
  return el.duration;
}
"""

# records every text the status line shows, from now on
_WATCH_STATUS_JS = """
(sel) => {
  const node = document.querySelectorAll(sel);
  const target = node[node.length - 1];
  window.__fwStatus = [target.textContent];
  new MutationObserver(() => window.__fwStatus.push(target.textContent))
    .observe(target, { childList: true, subtree: true, characterData: true });
}
"""

_BOXES_OVER_IMAGE_JS = """
() => {
  const stage = document.querySelector('.fw-app .fw-stage');
  if (!stage) return null;
  const img = stage.querySelector('img').getBoundingClientRect();
  const boxes = [...stage.querySelectorAll('.fw-box')].map((b) => b.getBoundingClientRect());
  const inside = boxes.filter((b) => b.width > 0 && b.height > 0
    && b.left >= img.left - 1 && b.right <= img.right + 1
    && b.top >= img.top - 1 && b.bottom <= img.bottom + 1);
  return { boxes: boxes.length, inside: inside.length, imgWidth: img.width };
}
"""


def test_quickstart_run_shows_queue_logs_and_images(
    run_notebook: Callable[..., Any], lab: Any
) -> None:
    page = run_notebook(_cells("01-quickstart"), "nb-01-quickstart")
    page.wait_for_function(_IMAGES_LOADED_JS, arg=".fw-app .fw-result img.fw-image")
    assert "local fal-compatible server" in page.inner_text(".fw-app .fw-note")
    # now press Run in the page, like a user
    page.evaluate(_WATCH_STATUS_JS, ".fw-app .fw-status")
    page.click(".fw-app button.fw-run")
    page.wait_for_function(
        "() => window.__fwStatus.some((t) => t.startsWith('Done')) && window.__fwStatus.length > 2"
    )
    seen = page.evaluate("window.__fwStatus")
    assert any(t.startswith(("Queued · position", "Running")) for t in seen), seen
    assert "step" in page.inner_text(".fw-app .fw-logs")
    page.wait_for_function(_IMAGES_LOADED_JS, arg=".fw-app .fw-result img.fw-image")
    lab.screenshot(page, "nb-01-quickstart", selector=".fw-app")
    assert not lab.errors_of(page)


def test_seed_endpoints_play_video(run_notebook: Callable[..., Any], lab: Any) -> None:
    page = run_notebook(_cells("02-seed-endpoints"), "nb-02-seed-endpoints")
    page.wait_for_selector(".fw-app .fw-result video")
    for index in (0, 1):
        duration = page.evaluate(_MEDIA_JS, [".fw-app .fw-result video", index])
        assert duration and duration > 0, f"video {index}: {duration}"
    lab.screenshot(page, "nb-02-seed-endpoints")
    assert not lab.errors_of(page)


def test_media_previews_audio_glb_boxes_stream(run_notebook: Callable[..., Any], lab: Any) -> None:
    page = run_notebook(_cells("03-media-previews"), "nb-03-media-previews")
    page.wait_for_function(_IMAGES_LOADED_JS, arg=".fw-app .fw-result img.fw-image")
    duration = page.evaluate(_MEDIA_JS, [".fw-app .fw-result audio", 0])
    assert duration and duration > 0
    glb = page.locator(".fw-app .fw-glb canvas").first
    glb.wait_for()
    page.wait_for_function(
        "() => { const e = document.querySelector('.fw-app .fw-glb [data-status]');"
        " return e && e.dataset.status.startsWith('loaded'); }"
    )
    pixels = canvas_pixels(glb)
    assert pixels["fraction"] > 0.02 and pixels["buckets"] >= 4, pixels
    boxes = page.evaluate(_BOXES_OVER_IMAGE_JS)
    assert boxes and boxes["boxes"] > 0 and boxes["inside"] == boxes["boxes"], boxes
    assert page.locator(".fw-app .fw-stream img.fw-image").count() >= 1
    lab.screenshot(page, "nb-03-media-previews")
    assert not lab.errors_of(page)


def test_422_marks_the_field(run_notebook: Callable[..., Any], lab: Any) -> None:
    page = run_notebook(_cells("04-your-own-model"), "nb-04-your-own-model")
    page.wait_for_function(_IMAGES_LOADED_JS, arg=".fw-app .fw-result img.fw-image")
    error = page.locator(".fw-app .fw-form .fw-error", has_text="at most 24 characters")
    error.first.wait_for()
    assert error.first.is_visible()
    lab.screenshot(page, "nb-04-422", selector=".fw-app")
    assert not lab.errors_of(page)


def test_cancel_button_stops_a_long_job(run_notebook: Callable[..., Any], lab: Any) -> None:
    steps = 2000  # at the default speed: about a minute of work, unless cancelled
    cells = [
        "import falwidgets",
        "ui = falwidgets.app('fal-ai/flux-realism')\n"
        f"ui.form.value = {{**ui.form.value, 'prompt': 'slow', 'num_inference_steps': {steps}}}\n"
        "ui",
    ]
    page = run_notebook(cells, "nb-cancel")
    page.evaluate(_WATCH_STATUS_JS, ".fw-app .fw-status")
    page.click(".fw-app button.fw-run")
    page.wait_for_function("() => window.__fwStatus.some((t) => t.startsWith('Running'))")
    page.click(".fw-app button.fw-cancel")
    page.wait_for_function(
        "() => window.__fwStatus.some((t) => t.startsWith('Cancelled'))", timeout=15_000
    )
    assert page.locator(".fw-app .fw-result img").count() == 0
    lab.screenshot(page, "nb-cancel", selector=".fw-app")
    assert not lab.errors_of(page)


def test_quickstart_in_voila(lab: Any) -> None:
    page = lab.voila(_cells("01-quickstart"), "nb-01-voila", ready_selector=".fw-app")
    page.wait_for_function(_IMAGES_LOADED_JS, arg=".fw-app .fw-result img.fw-image")
    lab.screenshot(page, "nb-01-voila")
    lab.close(page)
