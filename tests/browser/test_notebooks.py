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
# one worker on the embedded server: a blocker job makes the next run really wait in the queue
ONE_WORKER = FAST + "\nos.environ['FALWIDGETS_SERVER_WORKERS'] = '1'"
BLOCKER = (
    "from falwidgets.runner import _backend\n"
    "from falwidgets.client import Client\n"
    "_blocker = Client(base_url=_backend.local_server().url).submit(\n"
    "    'fal-ai/flux-realism', {'prompt': 'blocker', 'num_inference_steps': 2000})\n"
    "print(_blocker.request_id)"
)


def _cells(name: str, prelude: str = FAST) -> list[str]:
    sys.path.insert(0, str(NOTEBOOKS))
    try:
        import make_notebooks
    finally:
        sys.path.remove(str(NOTEBOOKS))
    return [prelude] + [src for kind, src in make_notebooks.NOTEBOOKS[name] if kind == "code"]


_IMAGES_LOADED_JS = """
(sel) => {
  const imgs = [...document.querySelectorAll(sel)];
  return imgs.length > 0 && imgs.every((i) => i.complete && i.naturalWidth > 0);
}
"""

# result images load lazily: in a long notebook only those near the viewport have loaded
_SOME_IMAGE_LOADED_JS = """
(sel) => [...document.querySelectorAll(sel)].some((i) => i.complete && i.naturalWidth > 0)
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

# JupyterLab's windowed notebook keeps only cells near the viewport in the DOM
_SCROLL_TO_CELL_JS = """
async (text) => {
  const nb = window.jupyterapp.shell.currentWidget.content;
  const cell = nb.widgets.find((c) => c.model.sharedModel.getSource().includes(text));
  await nb.scrollToCell(cell);
}
"""

_BOXES_OVER_IMAGE_JS = """
() => {
  const stage = document.querySelector('.fw-app .fw-r-stage');
  if (!stage) return null;
  const img = stage.querySelector('img').getBoundingClientRect();
  const boxes = [...stage.querySelectorAll('.fw-r-box')].map((b) => b.getBoundingClientRect());
  const inside = boxes.filter((b) => b.width > 0 && b.height > 0
    && b.left >= img.left - 1 && b.right <= img.right + 1
    && b.top >= img.top - 1 && b.bottom <= img.bottom + 1);
  return { boxes: boxes.length, inside: inside.length, imgWidth: img.width };
}
"""


def test_quickstart_run_shows_queue_logs_and_images(
    run_notebook: Callable[..., Any], lab: Any
) -> None:
    page = run_notebook(_cells("01-quickstart", ONE_WORKER), "nb-01-quickstart")
    page.wait_for_function(_IMAGES_LOADED_JS, arg=".fw-app .fw-result img.fw-r-image")
    assert "local fal-compatible server" in page.inner_text(".fw-app .fw-note")
    # the server's only worker is busy: pressing Run, like a user, must show the queue position
    assert lab.execute(page, BLOCKER).strip()
    page.evaluate(_WATCH_STATUS_JS, ".fw-app .fw-status")
    page.click(".fw-app button.fw-run")
    page.wait_for_function(
        "() => window.__fwStatus.some((t) => t.startsWith('Queued · position'))", timeout=15_000
    )
    lab.execute(page, "_blocker.cancel()")
    page.wait_for_function(
        "() => window.__fwStatus.some((t) => t.startsWith('Done')) && window.__fwStatus.length > 2"
    )
    seen = page.evaluate("window.__fwStatus")
    assert any(t.startswith("Running") for t in seen), seen
    # the logs are a collapsible <details> whose summary names the newest line
    page.wait_for_function(
        "() => { const d = document.querySelector('.fw-app details.fw-logs');"
        " return d && !d.hidden && d.textContent.includes('step'); }"
    )
    page.wait_for_function(_IMAGES_LOADED_JS, arg=".fw-app .fw-result img.fw-r-image")
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
    page.wait_for_function(_SOME_IMAGE_LOADED_JS, arg=".fw-app .fw-result img.fw-r-image")
    duration = page.evaluate(_MEDIA_JS, [".fw-app .fw-result video", 0])
    assert duration and duration > 0, f"video: {duration}"
    duration = page.evaluate(_MEDIA_JS, [".fw-app .fw-result audio", 0])
    assert duration and duration > 0
    glb = page.locator(".fw-app .fw-r-glb canvas").first
    glb.wait_for()
    page.wait_for_function(
        "() => { const e = document.querySelector('.fw-app .fw-r-glb-slot [data-status]');"
        " return e && e.dataset.status.startsWith('loaded'); }"
    )
    pixels = canvas_pixels(glb)
    assert pixels["fraction"] > 0.02 and pixels["buckets"] >= 4, pixels
    boxes = page.evaluate(_BOXES_OVER_IMAGE_JS)
    assert boxes and boxes["boxes"] > 0 and boxes["inside"] == boxes["boxes"], boxes
    # (enlarging opens the lightbox: tests/browser/test_browser_results.py; a streamed run ends
    # on its final images, which the gallery check above covers)
    lab.screenshot(page, "nb-03-media-previews")
    assert not lab.errors_of(page)


def test_422_marks_the_field(run_notebook: Callable[..., Any], lab: Any) -> None:
    page = run_notebook(_cells("04-your-own-model"), "nb-04-your-own-model")
    page.wait_for_function(_IMAGES_LOADED_JS, arg=".fw-app .fw-result img.fw-r-image")
    error = page.locator(".fw-app .fw-field-error", has_text="at most 24 characters")
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
    assert page.locator(".fw-app .fw-result img.fw-r-image").count() == 0
    lab.screenshot(page, "nb-cancel", selector=".fw-app")
    assert not lab.errors_of(page)


def test_sweeps_and_history(run_notebook: Callable[..., Any], lab: Any) -> None:
    page = run_notebook(_cells("05-sweeps-and-history"), "nb-05-sweeps-and-history")
    page.wait_for_function(_IMAGES_LOADED_JS, arg=".fw-s-root .fw-s-cell img.fw-s-img")
    assert page.locator(".fw-s-root .fw-s-cell img.fw-s-img").count() == 6  # image only
    assert page.locator(".fw-s-root .fw-s-colhead").count() == 2  # guidance_scale columns
    assert page.locator(".fw-s-root .fw-s-rowhead").count() == 3  # seed rows
    assert page.inner_text(".fw-s-root .fw-s-summary") == "6 ok"
    page.wait_for_selector(".fw-h-root[data-ready='1']")
    page.locator(".fw-h-root").first.scroll_into_view_if_needed()
    page.wait_for_function(  # the rows arrive as a page message after the widget is drawn
        "() => document.querySelectorAll('.fw-h-root .fw-h-row').length >= 6", timeout=30_000
    )
    page.locator(".fw-h-root .fw-h-row img.fw-h-thumb").first.scroll_into_view_if_needed()
    page.wait_for_function(_IMAGES_LOADED_JS, arg=".fw-h-root .fw-h-row:first-child img.fw-h-thumb")
    clipped = page.evaluate(
        """() => [...document.querySelectorAll('.fw-h-root .fw-h-row')]
            .filter((row) => row.scrollHeight > row.clientHeight + 2).length"""
    )
    assert clipped == 0, f"{clipped} history rows are squashed and cut off"
    page.evaluate(_SCROLL_TO_CELL_JS, "past.compare")  # JupyterLab renders visible cells only
    page.wait_for_function(_IMAGES_LOADED_JS, arg=".fw-comparison img.fw-r-image")
    # shown by the cell that asked (code calls never rewrite the history's own cell)
    assert page.locator(".fw-comparison").count() == 1
    assert page.locator(".fw-comparison .fw-h-outs .fw-h-out").count() == 2
    lab.screenshot(page, "nb-05-sweeps-and-history")
    assert not lab.errors_of(page)


def test_workshop_student_runs_through_the_proxy(
    run_notebook: Callable[..., Any], lab: Any
) -> None:
    page = run_notebook(_cells("06-workshop"), "nb-06-workshop")
    page.wait_for_function(_IMAGES_LOADED_JS, arg=".fw-app .fw-result img.fw-r-image")
    assert "Running through the proxy at http://127.0.0.1:" in page.inner_text(".fw-app .fw-note")
    assert "not allowed" in page.inner_text(".jp-Notebook")
    lab.screenshot(page, "nb-06-workshop")
    assert not lab.errors_of(page)


def test_quickstart_in_voila(lab: Any) -> None:
    page = lab.voila(_cells("01-quickstart"), "nb-01-voila", ready_selector=".fw-app")
    shown = ".fw-app .fw-result img.fw-r-image"
    page.wait_for_function(_IMAGES_LOADED_JS, arg=shown)
    before = page.get_attribute(shown, "src")
    prompt = page.locator(".fw-app .fw-form textarea").first
    prompt.fill("a red lighthouse in fog")  # the same inputs would give the same file back
    prompt.blur()
    page.click(".fw-app button.fw-run")  # a Voila user presses Run: a new image loads
    page.wait_for_function(
        "([sel, old]) => { const i = document.querySelector(sel);"
        " return i && i.src !== old && i.complete && i.naturalWidth > 0; }",
        arg=[shown, before],
        timeout=30_000,
    )
    lab.screenshot(page, "nb-01-voila")
    lab.close(page)
