"""The result pane, history and sweep front ends in a real JupyterLab, light and dark.

Demo endpoints on the local server make real media (images, video, audio, GLB, detections,
streamed partials); each preview must load in the browser, not only be in the DOM. Screenshots go
to tests/artifacts/ (results-*.png).
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

SETUP = """import falwidgets
from falwidgets.client import Client, AsyncClient
from falwidgets.previews import Preview
server = falwidgets.serve(port=0, speed=0.1)
c = Client(base_url=server.url)
shots = c.run("fal-ai/flux-realism", {"prompt": "three cups", "num_inference_steps": 2})
two = c.run("fal-ai/flux-realism", {"prompt": "two cups", "num_images": 2, "seed": 5,
                                     "num_inference_steps": 2})"""

CELLS = [
    SETUP,
    # fal's timings (the demo server sends none): chips show them with their unit
    'falwidgets.preview({**shots, "timings": {"inference": 0.31}})',
    "falwidgets.preview(two)",
    """cup = shots["images"][0]["url"]
clip = c.run("fal-ai/toon-crafter", {"keyframe_image_urls": [cup, two["images"][0]["url"]],
                                     "prompt": "slide", "steps": 4})
falwidgets.preview(clip)""",
    """music = c.run("fal-ai/minimax-music/v1.5", {"prompt": "calm piano",
                                               "lyrics_prompt": "[verse] soft light"})
falwidgets.preview(music)""",
    """mesh = c.run("fal-ai/meshy/v5/multi-image-to-3d", {"image_urls": [cup]})
falwidgets.preview(mesh)""",
    """found = c.run("fal-ai/moondream3-preview/detect", {"image_url": cup, "prompt": "cup"})
falwidgets.preview(found, inputs={"image_url": cup, "prompt": "cup"})""",
    """streamed = Preview()
for step, partial in enumerate(c.stream("fal-ai/flux-krea-lora/stream",
                                        {"prompt": "a boat", "num_inference_steps": 4}), 1):
    streamed.stream(partial, step=step, total=4)
streamed""",
]

LIGHT, DARK = "JupyterLab Light", "JupyterLab Dark"


def set_theme(page: Any, theme: str) -> None:
    page.evaluate(
        "(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", theme
    )
    light = "true" if theme == LIGHT else "false"
    page.wait_for_selector(f"body[data-jp-theme-light='{light}']", state="attached", timeout=15_000)
    page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=15_000)


def contrast(page: Any, selector: str) -> float:
    """WCAG contrast of an element's text against the first opaque background behind it."""
    return page.locator(selector).first.evaluate(
        """(el) => {
          const rgb = (s) => {  // "rgb(a, b, c)", "rgba(...)" or "color(srgb r g b / a)" (0..1)
            const n = (s.match(/[\\d.]+/g) || []).map(Number);
            if (!s.startsWith("color(srgb")) return n;
            return [n[0] * 255, n[1] * 255, n[2] * 255, n.length > 3 ? n[3] : 1];
          };
          const lum = ([r, g, b]) => {
            const f = (v) => {
              v /= 255;
              return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4;
            };
            return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
          };
          let bg = null;
          for (let n = el; n && n.nodeType === 1; n = n.parentElement) {
            const c = rgb(getComputedStyle(n).backgroundColor);
            if (c.length >= 3 && (c.length < 4 || c[3] > 0.9)) { bg = c; break; }
          }
          bg = bg || [255, 255, 255];
          const fg = rgb(getComputedStyle(el).color);
          const [a, b] = [lum(fg), lum(bg)].sort((x, y) => y - x);
          return (a + 0.05) / (b + 0.05);
        }"""
    )


def test_previews_load_in_both_themes(run_notebook: Any, lab: Any) -> None:
    page = run_notebook(CELLS, "results-previews", timeout_ms=240_000)
    page.set_viewport_size({"width": 1440, "height": 900})
    try:
        page.wait_for_function(
            "() => document.querySelectorAll('.fw-preview-widget[data-ready=\"1\"]').length >= 7",
            timeout=60_000,
        )
        # one image fills the pane: at least 480 px wide on a 1440 px page, and really loaded
        single = page.locator(".fw-preview-widget").nth(0).locator("img.fw-r-image")
        single.scroll_into_view_if_needed()
        page.wait_for_function(
            "(el) => el.complete && el.naturalWidth > 0", arg=single.element_handle()
        )
        assert single.bounding_box()["width"] >= 480
        assert single.evaluate("(el) => el.naturalWidth") == 1024
        # a gallery of two: even columns, with download and copy-URL controls and a lightbox
        gallery = page.locator(".fw-preview-widget").nth(1)
        assert gallery.locator(".fw-r-gallery[data-count='2'] img").count() == 2
        assert gallery.locator("a.fw-r-download").count() == 2
        assert gallery.locator("button.fw-r-copy").count() == 2
        gallery.locator("img.fw-r-image").first.click()
        page.wait_for_selector(".fw-lightbox img.fw-lb-image", timeout=5_000)
        lab.screenshot(page, "results-lightbox")
        page.keyboard.press("Escape")
        page.wait_for_selector(".fw-lightbox", state="detached", timeout=5_000)
        # video and audio load their metadata; the video keeps its own aspect ratio
        video = page.locator("video.fw-r-video").first
        video.scroll_into_view_if_needed()
        page.wait_for_selector("video.fw-r-video[data-ready='1']", timeout=30_000)
        ratio = video.evaluate(
            "(v) => [v.videoWidth / v.videoHeight, v.clientWidth / v.clientHeight]"
        )
        assert abs(ratio[0] - ratio[1]) < 0.05, ratio
        page.wait_for_selector("audio.fw-r-audio[data-ready='1']", timeout=30_000)
        # the GLB viewer is a child widget drawn by composition: loaded, reset button, no wheel zoom
        glb = page.locator(".fw-r-glb-slot[data-status='viewer'] .fw-glb")
        glb.first.scroll_into_view_if_needed()
        page.wait_for_selector(".fw-glb[data-status^='loaded:']", timeout=60_000)
        assert page.locator(".fw-glb .fw-glb-reset").count() >= 1
        assert page.locator(".fw-glb").first.get_attribute("data-zoom") == "off"
        # detections: boxes over their image, labelled with their class
        boxes = page.locator(".fw-r-boxes .fw-r-box")
        assert boxes.count() >= 1
        assert page.locator(".fw-r-box-label").first.inner_text().startswith("cup")
        # streamed partials replace each other: one stream block, the last step shown
        stream = page.locator(".fw-r-stream")
        assert stream.count() == 1 and "step 4/4" in stream.inner_text()
        # chips carry units; no label stands over nothing
        chips = page.locator(".fw-preview-widget").nth(0).locator(".fw-r-chip").all_inner_texts()
        assert any(t.startswith("seed") for t in chips), chips
        assert any(t.strip().endswith(" s") for t in chips), chips
        empty_labels = page.evaluate(
            """() => [...document.querySelectorAll('.fw-r-block')]
                 .filter((b) => b.children.length === 1
                                && b.firstChild.classList.contains('fw-r-label'))
                 .length"""
        )
        assert empty_labels == 0
        for theme, name in ((LIGHT, "light"), (DARK, "dark")):
            set_theme(page, theme)
            page.locator(".fw-preview-widget").nth(0).scroll_into_view_if_needed()
            lab.screenshot(page, f"results-previews-{name}")
            lab.screenshot(page, f"results-gallery-{name}", selector=".fw-preview-widget >> nth=1")
            lab.screenshot(page, f"results-boxes-{name}", selector=".fw-r-boxes")
            lab.screenshot(page, f"results-glb-{name}", selector=".fw-r-glb")
            assert contrast(page, ".fw-r-chip b") >= 4.5
            assert contrast(page, ".fw-r-label") >= 4.5
    finally:
        set_theme(page, LIGHT)
    assert lab.errors_of(page) == []
