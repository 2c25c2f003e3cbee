"""The live panel in JupyterLab: typing into the prompt streams frames through the realtime socket
of the kernel's local server, and the last frame shown answers the last prompt typed."""

from __future__ import annotations

from typing import Any

import pytest
from browser_harness import Lab

pytestmark = pytest.mark.browser

TYPED = "a red fox in the snow"

_WATCH_JS = """
() => {
  const root = document.querySelector('.fw-live');
  window.__fwSeen = [];
  new MutationObserver(() => {
    const prompt = root.dataset.framePrompt;
    const seen = window.__fwSeen;
    if (prompt && seen[seen.length - 1] !== prompt) seen.push(prompt);
  }).observe(root, {attributes: true, attributeFilter: ['data-frame-prompt']});
}
"""


def test_typing_into_the_live_panel_streams_frames(lab: Lab, run_notebook: Any) -> None:
    page = run_notebook(
        [
            "import falwidgets\npanel = falwidgets.live('fal-ai/fast-lcm-diffusion')\npanel",
        ],
        "live_panel",
    )
    prompt = page.locator(".fw-live textarea[name=prompt]")
    prompt.wait_for(timeout=30_000)
    assert page.locator(".fw-live input[name=guidance_scale]").count() == 1  # from the schema
    page.evaluate(_WATCH_JS)
    prompt.press_sequentially(TYPED, delay=120)
    page.wait_for_function(
        f"() => document.querySelector('.fw-live').dataset.framePrompt === {TYPED!r}",
        timeout=30_000,
    )
    seen = page.evaluate("() => window.__fwSeen")
    assert len(set(seen)) >= 5, seen  # frames kept coming while typing
    assert seen[-1] == TYPED  # and the latest prompt's frame is the one left on screen
    assert all(TYPED.startswith(text) for text in seen), seen  # prefixes, in typing order
    assert [len(text) for text in seen] == sorted(len(text) for text in seen)
    image = page.locator(".fw-live img")
    page.wait_for_function(
        "() => document.querySelector('.fw-live img').naturalWidth === 512", timeout=10_000
    )
    assert image.get_attribute("src").startswith("blob:")
    stats = page.locator(".fw-live-view .fw-live-stats").text_content() or ""
    assert "fps" in stats and "ms latency" in stats, stats
    assert not lab.errors_of(page)
    lab.screenshot(page, "live-panel", selector=".fw-live")
