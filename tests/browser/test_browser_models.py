"""browse(), compare() and use_in() in JupyterLab, end to end against the kernel's local server:
typing searches, a chip filters, picking opens the app in place; compare shows every model's
result side by side and opens one in its app; "Use in…" opens an app with the URL filled in."""

from __future__ import annotations

from typing import Any

import pytest
from browser_harness import Lab

pytestmark = pytest.mark.browser


def test_browse_typing_chips_and_picking(lab: Lab, run_notebook: Any) -> None:
    page = run_notebook(["import falwidgets\nb = falwidgets.browse()\nb"], "browse")
    search = page.locator(".fw-browse-search")
    search.wait_for(timeout=30_000)
    search.press_sequentially("flux realism", delay=60)
    first = page.locator(".fw-browse-card").first
    page.wait_for_function(
        "() => document.querySelector('.fw-browse-card')?.dataset.endpoint"
        " === 'fal-ai/flux-realism'",
        timeout=20_000,
    )
    page.wait_for_function(  # the demo price arrives after typing settles
        "() => document.querySelector('.fw-browse-card .fw-browse-meta')"
        ".textContent.includes('$0.025 per image')",
        timeout=20_000,
    )
    status = page.locator(".fw-browse-status").text_content() or ""
    assert "models in the bundled catalogue" in status, status
    lab.screenshot(page, "browse-typed", selector=".fw-browse")
    first.click()
    page.locator(".fw-browse-box .fw-run").wait_for(timeout=30_000)  # the app, in place
    assert page.locator(".fw-browse-box textarea").count() >= 1  # its prompt field
    search.fill("")
    assert page.locator(".fw-browse-chip").count() <= 12  # the long tail waits behind More…
    page.locator(".fw-browse-more").click()
    page.locator(".fw-browse-chip[data-category='text-to-speech']").click()
    page.wait_for_function(
        "() => [...document.querySelectorAll('.fw-browse-card .fw-browse-meta')]"
        ".every(m => m.textContent.startsWith('text-to-speech'))"
        " && document.querySelectorAll('.fw-browse-card').length > 5",
        timeout=20_000,
    )
    assert not lab.errors_of(page)
    lab.screenshot(page, "browse-picked", selector=".fw-browse-box")


def test_compare_side_by_side_and_open_in_app(lab: Lab, run_notebook: Any) -> None:
    page = run_notebook(
        [
            "import falwidgets\n"
            "c = falwidgets.compare(['fal-ai/flux-realism', 'fal-ai/imagen4/preview',"
            " 'fal-ai/fast-lcm-diffusion'], {'prompt': 'a red fox', 'image_size': 'square',"
            " 'seed': 3, 'negative_prompt': 'blurry'})\nc"
        ],
        "compare",
    )
    page.wait_for_function(
        "() => document.querySelectorAll('.fw-compare-card[data-state=done]').length === 3"
        " && [...document.querySelectorAll('.fw-compare-card img')]"
        ".every(i => i.complete && i.naturalWidth > 0)",
        timeout=60_000,
    )
    cards = page.locator(".fw-compare-card")
    assert cards.count() == 3
    imagen = page.locator(".fw-compare-card[data-endpoint='fal-ai/imagen4/preview']")
    assert "not taken: seed, negative_prompt" in (imagen.text_content() or "")
    assert "est. $0.04" in (imagen.text_content() or "")
    summary = page.locator(".fw-compare-summary").text_content() or ""
    assert "3/3 done" in summary, summary
    assert "estimated total $0.068" in (page.locator(".fw-cost-total").text_content() or "")
    lab.screenshot(page, "compare-done", selector=".fw-compare")
    imagen.locator(".fw-compare-open").click()
    page.locator(".fw-compare-box .fw-run").wait_for(timeout=30_000)
    assert not lab.errors_of(page)
    lab.screenshot(page, "compare-opened", selector=".fw-compare-box")


def test_use_in_opens_an_app_with_the_url(lab: Lab, run_notebook: Any) -> None:
    page = run_notebook(
        ["import falwidgets\nu = falwidgets.use_in('https://v3.fal.media/files/fox.png')\nu"],
        "use_in",
    )
    search = page.locator(".fw-usein-search input")
    search.wait_for(timeout=30_000)
    search.press_sequentially("toon crafter", delay=40)
    page.wait_for_function(
        "() => document.querySelector('.fw-usein-list option')?.value?.includes('toon-crafter')"
        " || document.querySelector('.fw-usein-list option')?.textContent.includes('toon-crafter')",
        timeout=20_000,
    )
    page.locator(".fw-usein-list select").select_option(index=0)
    page.locator(".fw-usein-open").click()
    page.locator(".fw-usein .fw-run").wait_for(timeout=30_000)
    page.wait_for_function(
        "() => [...document.querySelectorAll('.fw-usein input, .fw-usein textarea')]"
        ".some(i => i.value === 'https://v3.fal.media/files/fox.png')",
        timeout=20_000,
    )
    assert not lab.errors_of(page)
    lab.screenshot(page, "use-in", selector=".fw-usein")
