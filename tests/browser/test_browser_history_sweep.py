"""History (10,000 runs) and sweep grids in a real JupyterLab, light and dark.

The history opens on one page of rows, searches, and answers Load / Rerun / Compare right under
the row clicked. A 500-point sweep fills its grid with no main-thread task over 100 ms, measured
with a PerformanceObserver for long tasks. Screenshots: tests/artifacts/history-*.png, sweep-*.png.
"""

from __future__ import annotations

from typing import Any

import pytest
from test_browser_results import DARK, LIGHT, set_theme

pytestmark = [pytest.mark.browser, pytest.mark.slow]

FILL = """import os, tempfile
os.environ["FALWIDGETS_HOME"] = tempfile.mkdtemp()  # this notebook's own journal
import falwidgets, json, sqlite3, time
from falwidgets.client import AsyncClient, Client
from falwidgets.client._journal import default_journal
server = falwidgets.serve(port=0, speed=0.1)
c = Client(base_url=server.url)
ui = falwidgets.app("fal-ai/flux-realism", client=AsyncClient(base_url=server.url))
for seed in (1, 2):
    ui.run({"prompt": "a red kite", "seed": seed, "num_inference_steps": 2})
real = default_journal().entries()
journal = default_journal()
rows = []
now = time.time() - 86400
for i in range(10_000):
    src = real[i % 2]
    rows.append((f"synthetic-{i:05d}", "fal-ai/flux-realism" if i % 4 else "fal-ai/flux/dev",
                 f"https://queue.example.org/{i}", "", "", "",
                 json.dumps({"prompt": f"kite number {i}", "seed": i}), "x", now + i, now + i + 1.5,
                 "COMPLETED" if i % 10 else "FAILED", None if i % 10 else "boom", None,
                 json.dumps({"inference_time": 1.2}), json.dumps(src.result) if i % 10 else None))
with sqlite3.connect(journal.path) as conn:
    conn.executemany(
        "INSERT INTO requests (request_id, endpoint, base, status_url, response_url, cancel_url, "
        "arguments, arguments_sha256, created, finished, status, error, error_type, metrics, "
        "result) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)
print(len(journal.entries(limit=20000)))"""


def test_history_of_10000_runs(run_notebook: Any, lab: Any) -> None:
    cells = [FILL, "past = falwidgets.history(client=AsyncClient(base_url=server.url))\npast"]
    page = run_notebook(cells, "history-many", timeout_ms=240_000)
    page.set_viewport_size({"width": 1440, "height": 900})
    try:
        root = page.locator(".fw-h-root[data-ready='1']")
        root.wait_for(timeout=30_000)
        assert root.get_attribute("data-total") == "10002"
        assert page.locator(".fw-h-row").count() == 50  # one page, not 10,000 rows
        assert page.locator(".fw-h-count").inner_text().startswith("10,002 runs")
        assert page.locator(".fw-h-range").inner_text() == "1\u201350 of 10,002"  # an en dash
        # the two real runs come first (newest), with their image thumbnails loaded
        thumb = page.locator(".fw-h-row").first.locator("img.fw-h-thumb")
        page.wait_for_function(
            "(el) => el.complete && el.naturalWidth > 0", arg=thumb.element_handle()
        )
        page.locator(".fw-h-next").click()
        page.wait_for_function(
            "() => document.querySelector('.fw-h-range').textContent.startsWith('51\u2013100')"
        )
        page.locator(".fw-h-search").fill("kite number 9999")
        page.wait_for_function("() => document.querySelectorAll('.fw-h-row').length === 1")
        assert "kite number 9999" in page.locator(".fw-h-row .fw-h-prompt").inner_text()
        page.locator(".fw-h-search").fill("red kite")
        page.wait_for_function("() => document.querySelectorAll('.fw-h-row').length === 2")

        # Compare: tick two rows; the comparison opens right under the second one ticked
        rows = page.locator(".fw-h-row")
        rows.nth(0).locator(".fw-h-pick").check()
        rows.nth(1).locator(".fw-h-pick").check()
        detail = page.locator(".fw-h-detail-compare")
        detail.wait_for(timeout=15_000)
        follows = page.evaluate(
            "() => document.querySelector('.fw-h-detail').previousElementSibling.dataset.id"
        )
        assert follows == page.locator(".fw-h-row").nth(1).get_attribute("data-id")
        assert [t.strip() for t in detail.locator("tr.fw-h-diff th").all_inner_texts()] == ["seed"]
        assert detail.locator(".fw-h-outs img.fw-r-image").count() == 2
        lab.screenshot(page, "history-compare-light", selector=".fw-h-root")

        # Rerun answers under its own row with the new result; the new run's row appears on top
        page.locator(".fw-h-row").nth(0).locator(".fw-h-rerun").click()
        page.wait_for_selector(
            ".fw-h-detail-rerun[data-state='done'] img.fw-r-image", timeout=60_000
        )
        page.locator(".fw-h-search").fill("")
        page.wait_for_function(
            "() => document.querySelector('.fw-h-root').dataset.total === '10003'", timeout=30_000
        )
        # Load shows the form under the row (the app, drawn by composition)
        page.locator(".fw-h-row").nth(1).locator(".fw-h-load").click()
        page.wait_for_selector(
            ".fw-h-detail-load .fw-r-widget[data-status='rendered']", timeout=30_000
        )
        assert "Loaded run" in page.locator(".fw-h-detail-load .fw-h-detail-head").inner_text()
        for theme, name in ((LIGHT, "light"), (DARK, "dark")):
            set_theme(page, theme)
            page.locator(".fw-h-root").scroll_into_view_if_needed()
            lab.screenshot(page, f"history-{name}")
    finally:
        set_theme(page, LIGHT)
    assert lab.errors_of(page) == []


SWEEP = """import falwidgets
from falwidgets.client import AsyncClient
from falwidgets.runner import Sweep
server = falwidgets.serve(port=0, speed=0.1, workers=4)
client = AsyncClient(base_url=server.url)
small = falwidgets.sweep("fal-ai/flux-realism",
                         {"prompt": "a glass teapot, studio light", "num_inference_steps": 2,
                          "num_images": 2},
                         grid={"seed": [1, 2], "guidance_scale": [2.0, 5.0, 8.0]},
                         client=client)
small"""

BIG = """big = Sweep("fal-ai/flux-realism",
            {"prompt": "a tiny teapot", "num_inference_steps": 1,
             "image_size": {"width": 64, "height": 64}},
            {"seed": list(range(500))}, concurrency=16, client=client)
big"""

LONGTASKS_JS = """() => {
  window.__longtasks = [];
  new PerformanceObserver((list) => {
    for (const e of list.getEntries()) window.__longtasks.push(e.duration);
  }).observe({ type: "longtask" });
}"""


def test_sweep_grids_fill_evenly_and_500_points_stay_responsive(
    run_notebook: Any, lab: Any
) -> None:
    page = run_notebook([SWEEP, BIG], "sweep-grids", timeout_ms=240_000)
    page.set_viewport_size({"width": 1440, "height": 900})
    try:
        small = page.locator(".fw-s-root").first
        page.wait_for_selector(".fw-s-root[data-finished='1'][data-settled='1']", timeout=60_000)
        assert small.locator(".fw-s-summary").inner_text() == "6 ok"
        assert (
            small.locator(".fw-s-colhead").count() == 3
            and small.locator(".fw-s-rowhead").count() == 2
        )
        widths = small.locator(".fw-s-slot").evaluate_all("(els) => els.map((e) => e.clientWidth)")
        assert len(widths) == 6 and max(widths) - min(widths) <= 1  # even columns
        counts = small.locator(".fw-s-images").evaluate_all(
            "(els) => els.map((e) => e.dataset.count)"
        )
        assert counts == ["2"] * 6  # every image of a cell, not the first one and "+1"
        overflow = small.locator(".fw-s-cell").evaluate_all(
            "(els) => els.filter((e) => e.scrollWidth > e.clientWidth + 1).length"
        )
        assert overflow == 0
        for theme, name in ((LIGHT, "light"), (DARK, "dark")):
            set_theme(page, theme)
            small.scroll_into_view_if_needed()
            lab.screenshot(page, f"sweep-small-{name}", selector=".fw-s-root >> nth=0")

        # 500 points: no task over 100 ms on the main thread while the grid fills
        page.evaluate(LONGTASKS_JS)
        page.locator(".fw-s-root").nth(1).scroll_into_view_if_needed()
        # an estimated $12.50: above FALWIDGETS_CONFIRM_ABOVE, so it waits for confirmation
        assert lab.execute(page, "print(big.cost.held)").strip() == "True"
        lab.execute(page, "big.confirm()")
        page.wait_for_selector(
            ".fw-s-root[data-finished='1'][data-settled='1'] >> nth=1", timeout=180_000
        )
        big = page.locator(".fw-s-root").nth(1)
        assert big.get_attribute("data-ok") == "500"
        assert big.locator(".fw-s-cell[data-state='done']").count() == 500
        tasks = page.evaluate("() => window.__longtasks")
        lab.screenshot(page, "sweep-500")
        assert max(tasks, default=0) <= 100, f"main-thread tasks over 50 ms: {tasks}"
    finally:
        set_theme(page, LIGHT)
    assert lab.errors_of(page) == []
