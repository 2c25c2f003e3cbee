"""The app's price line, Run estimate, "Use in…" and Live switch in a real JupyterLab against the
kernel's local server (issues 13, 14). Screenshots: tests/artifacts/wiring-*.png."""

from __future__ import annotations

from typing import Any

import pytest
from browser_harness import Lab

pytestmark = pytest.mark.browser


def _text_is(page: Any, selector: str, text: str, timeout: int = 30_000) -> None:
    page.wait_for_function(
        "([sel, text]) => [...document.querySelectorAll(sel)]"
        ".some(e => e.textContent.trim() === text && !e.hidden)",
        arg=[selector, text],
        timeout=timeout,
    )


def test_price_line_estimate_and_use_in(lab: Lab, run_notebook: Any) -> None:
    page = run_notebook(
        [
            "import falwidgets\n"
            "a = falwidgets.app('fal-ai/flux-realism',"
            " inputs={'prompt': 'a red fox in snow', 'num_inference_steps': 1})\na"
        ],
        "wiring-app",
    )
    _text_is(page, ".fw-app .fw-price", "$0.025 per image")
    _text_is(page, ".fw-app .fw-run-estimate", "· est. $0.025")
    lab.execute(page, "a.value = {**a.value, 'num_images': 2}")  # the estimate follows inputs
    _text_is(page, ".fw-app .fw-run-estimate", "· est. $0.05")
    page.locator(".fw-app .fw-run").first.click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.fw-app .fw-r-gallery img')]"
        ".filter(i => i.complete && i.naturalWidth > 0).length === 2"
        " && document.querySelectorAll('.fw-app .fw-usein-btn').length === 2",
        timeout=60_000,
    )
    lab.screenshot(page, "wiring-app-result", selector=".fw-app")
    first_url = page.locator(".fw-app .fw-r-gallery img").first.get_attribute("src")
    page.locator(".fw-app .fw-usein-btn").first.click()
    search = page.locator(".fw-usein-search")
    search.wait_for(timeout=10_000)
    search.press_sequentially("upscale", delay=40)
    page.wait_for_function(
        "() => { const p = [...document.querySelectorAll('.fw-usein-pick')];"
        " return p.length > 0 && p.length <= 12"
        " && p.every(b => /upscal/i.test(b.textContent)); }",
        timeout=20_000,
    )
    count = page.locator(".fw-usein-count").text_content() or ""
    assert "take this image" in count, count
    lab.screenshot(page, "wiring-use-in-list", selector=".fw-usein-panel")
    pick = page.locator(".fw-usein-pick").first
    endpoint = pick.get_attribute("data-endpoint")
    pick.click()
    page.locator(f".fw-chained[data-endpoint='{endpoint}'] .fw-run").wait_for(timeout=30_000)
    out = lab.execute(page, "c = a.chained_app\nprint(c.endpoint, c.value)")
    assert out.startswith(f"{endpoint} ") and str(first_url) in out, out
    assert not lab.errors_of(page)
    lab.screenshot(page, "wiring-use-in-opened", selector=".fw-app")


def test_live_switch_streams_frames_while_typing(lab: Lab, run_notebook: Any) -> None:
    page = run_notebook(
        ["import falwidgets\nlv = falwidgets.app('fal-ai/fast-lcm-diffusion')\nlv"], "wiring-live"
    )
    toggle = page.locator(".fw-app .fw-live-toggle")
    toggle.wait_for(timeout=30_000)
    prompt = page.locator(".fw-app textarea.fw-prompt").first
    prompt.fill("")
    toggle.check()
    seen = page.evaluate_handle("() => new Set()")
    final = "a small red boat on a calm blue lake"
    for i in range(1, len(final) + 1):
        prompt.press_sequentially(final[i - 1], delay=0)
        page.evaluate(
            "(s) => { const v = document.querySelector('.fw-app .fw-live-view');"
            " if (v && Number(v.dataset.frames) > 0) s.add(v.dataset.frames); }",
            seen,
        )
    page.wait_for_function(
        "(text) => document.querySelector('.fw-app .fw-live-view')?.dataset.prompt === text",
        arg=final,
        timeout=30_000,
    )
    page.wait_for_function(
        "() => { const i = document.querySelector('.fw-app .fw-live-image');"
        " return i && i.complete && i.naturalWidth > 0; }",
        timeout=10_000,
    )
    frames = int(page.locator(".fw-app .fw-live-view").get_attribute("data-frames") or 0)
    distinct = page.evaluate("(s) => s.size", seen)
    assert frames >= 5 and distinct >= 5, (frames, distinct)
    stats = page.locator(".fw-app .fw-live-stats").text_content() or ""
    assert " fps · " in stats and " ms · frame " in stats, stats
    assert page.locator(".fw-app .fw-result").is_hidden()  # the frame replaces the result pane
    lab.screenshot(page, "wiring-live-on", selector=".fw-app")
    toggle.uncheck()
    page.wait_for_function(
        "() => document.querySelector('.fw-app .fw-live-view').hidden", timeout=10_000
    )
    out = lab.execute(page, "print(lv.live_session is None, lv.live['on'])")
    assert out.strip() == "True False", out
    assert not lab.errors_of(page)


def test_sweep_held_by_its_estimate_starts_on_click(lab: Lab, run_notebook: Any) -> None:
    page = run_notebook(
        [
            "import os\nos.environ['FALWIDGETS_CONFIRM_ABOVE'] = '0.05'\nimport falwidgets\n"
            "s = falwidgets.sweep('fal-ai/flux-realism', {'prompt': 'gate',"
            " 'num_inference_steps': 1, 'image_size': 'square'}, grid={'seed': [1, 2, 3]})\ns"
        ],
        "wiring-sweep",
    )
    gate = page.locator(".fw-s-cost[data-held='1']")
    gate.wait_for(timeout=30_000)
    line = page.locator(".fw-s-cost-line").text_content() or ""
    assert "estimated total $0.075" in line and "click Start" in line, line
    start = page.locator(".fw-s-cost-start")
    assert (start.text_content() or "") == "Start ($0.075)"
    assert lab.execute(page, "print(s.done, s.cost.held)").strip() == "False True"
    lab.screenshot(page, "wiring-sweep-held", selector=".fw-s-root")
    start.click()
    page.wait_for_function(
        "() => { const r = document.querySelector('.fw-s-root');"
        " return r && r.dataset.finished === '1' && r.dataset.ok === '3'; }",
        timeout=60_000,
    )
    assert start.is_hidden()
    assert not lab.errors_of(page)
    lab.screenshot(page, "wiring-sweep-started", selector=".fw-s-root")
