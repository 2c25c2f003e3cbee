"""The result, history and sweep front ends (issue 11): history open time, notebook weight, models.

1. History with 10,000 journal entries: in JupyterLab under headless Chromium (the browser test
   harness), the time from running ``falwidgets.history()`` to its first rows being visible.
   Budget: 1 s. Also the Python side alone (widget built + first page read).
2. Saved-notebook growth for 20 runs x 4 images shown in one result widget (the way the app's
   result pane shows each run), executed by nbclient with widget state saved. Budget: 50 KB.
   For comparison: 20 separate ``falwidgets.preview()`` cells (each its own model).
3. Widget models per view: a preview (1, 2 with a GLB viewer), a history, a sweep.

Run: ``.venv/bin/python bench/face_results.py`` (writes its section of bench/RESULTS.md).
"""

from __future__ import annotations

import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from _results import write_section

ROOT = Path(__file__).resolve().parents[1]
ENTRIES = 10_000
HISTORY_BUDGET = 1.0
SIZE_BUDGET = 50 * 1024
RUNS, IMAGES = 20, 4

FILL = f"""import json, sqlite3, time
from falwidgets.client._journal import default_journal
journal = default_journal()
journal.entries(limit=1)  # opens the file and creates the table
image = {{"url": "https://v3.fal.media/files/x/thumb.png", "content_type": "image/png",
          "width": 1024, "height": 768}}
now = time.time() - 86400
rows = [(f"bench-{{i:05d}}", "fal-ai/flux/dev" if i % 3 else "fal-ai/flux-realism",
         "https://queue.fal.run", "", "", "", json.dumps({{"prompt": f"run {{i}}", "seed": i}}),
         "x", now + i, now + i + 2.0, "COMPLETED", None, None,
         json.dumps({{"inference_time": 1.5}}), json.dumps({{"images": [image], "seed": i}}))
        for i in range({ENTRIES})]
with sqlite3.connect(journal.path) as conn:
    conn.executemany(
        "INSERT INTO requests (request_id, endpoint, base, status_url, response_url, cancel_url, "
        "arguments, arguments_sha256, created, finished, status, error, error_type, metrics, "
        "result) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)", rows)"""

_TIME_CELL_JS = """
async ([index, budget]) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  const cell = panel.content.widgets[index];
  const before = new Set(document.querySelectorAll('.fw-h-root'));
  panel.content.activeCellIndex = index;
  const t0 = performance.now();
  app.commands.execute('notebook:run-cell');
  while (performance.now() - t0 < budget) {
    const root = [...cell.node.querySelectorAll(".fw-h-root[data-ready='1']")]
      .find((r) => !before.has(r));
    if (root && root.querySelector('.fw-h-row') && root.getBoundingClientRect().height > 0) {
      return [performance.now() - t0, Number(root.dataset.total)];
    }
    await sleep(5);
  }
  return [-1, -1];
}
"""


def fill_journal(home: Path) -> None:
    os.environ["FALWIDGETS_HOME"] = str(home)
    exec(FILL, {})


def python_history_open(home: Path) -> list[float]:
    """Seconds to build the history widget and read the page the browser asks for first."""
    os.environ["FALWIDGETS_HOME"] = str(home)
    from falwidgets.runner import History

    times = []
    for _ in range(5):
        t0 = time.perf_counter()
        h = History(resume=False)
        total, rows = h.page(0, 50)
        times.append(time.perf_counter() - t0)
        assert total == ENTRIES and len(rows) == 50
        h.close()
    return times


def browser_history_open(workdir: Path, home: Path) -> list[tuple[float, int]]:
    sys.path.insert(0, str(ROOT / "tests" / "browser"))
    from browser_harness import CHROMIUM_FLAGS, Lab, LabServer, chromium_path
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    if chromium is None:
        raise SystemExit("Chromium is missing: apt-get install chromium (or set CHROMIUM)")
    server = LabServer(workdir / "lab", env_extra={"FALWIDGETS_HOME": str(home)})
    server.start()
    playwright = sync_playwright().start()
    try:
        context = playwright.chromium.launch_persistent_context(
            str(workdir / "profile"),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1440, "height": 900},
        )
        lab = Lab(server, context, ROOT / "tests" / "artifacts")
        cells = [
            "import falwidgets\nfalwidgets.history(resume=False, limit=1)",  # warm: imports
            "falwidgets.history(resume=False)",
        ]
        page = lab.run_notebook(cells, "bench-history-open")
        results = [page.evaluate(_TIME_CELL_JS, [1, 20_000]) for _ in range(3)]
        lab.screenshot(page, "bench-history-open")
        context.close()
    finally:
        playwright.stop()
        server.stop()
    return [(ms / 1000, total) for ms, total in results]


def _executed_size(cells: list[str], workdir: Path, name: str) -> int:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    NotebookClient(nb, kernel_name="python3", timeout=300, store_widget_state=True).execute()
    path = workdir / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path.stat().st_size


def notebook_growth(workdir: Path) -> tuple[int, int, int]:
    setup = [
        "import falwidgets\nfrom falwidgets.client import Client\nfrom falwidgets.previews "
        "import Preview\nserver = falwidgets.serve(port=0, speed=0.1)\n"
        "c = Client(base_url=server.url)\npane = Preview()\npane"
    ]

    def run(i: int) -> str:
        args = {"prompt": f"a lighthouse, take {i}", "seed": i, "num_images": IMAGES,
                "num_inference_steps": 4}  # fmt: skip
        return f"out = c.run('fal-ai/flux-realism', {args!r})"

    one_pane = [f"{run(i)}\npane.update(out);" for i in range(RUNS)]
    many = [f"{run(i)}\nfalwidgets.preview(out)" for i in range(RUNS)]
    base = _executed_size(setup, workdir, "baseline")
    grown = _executed_size(setup + one_pane, workdir, "one-pane")
    separate = _executed_size(setup + many, workdir, "separate")
    return base, grown, separate


def models_per_view() -> list[tuple[str, int]]:
    """Widget models each view creates (ipywidgets' registry of live widgets)."""
    from ipywidgets.widgets.widget import _instances

    import falwidgets
    from falwidgets.previews._widget import shared_layout
    from falwidgets.runner import History, Sweep

    shared_layout()  # one Layout model per kernel, shared by every falwidgets view

    def count(make) -> int:  # type: ignore[no-untyped-def]
        before = set(_instances)
        made = make()
        n = len(set(_instances) - before)
        made.close()
        return n

    image = {"images": [{"url": f"https://x/{i}.png"} for i in range(IMAGES)], "seed": 1}
    glb = {"model_mesh": {"url": "https://x/m.glb", "content_type": "model/gltf-binary"}}
    return [
        ("preview of 4 images", count(lambda: falwidgets.preview(image))),
        ("preview with a GLB model", count(lambda: falwidgets.preview(glb))),
        ("history (10,000 runs)", count(lambda: History(resume=False))),
        (
            "sweep of 500 points (not started)",
            count(
                lambda: Sweep(
                    "fal-ai/flux-realism", {}, {"seed": list(range(500))}, client=object()
                )
            ),
        ),
    ]


def main() -> None:
    os.environ.setdefault("FALWIDGETS_SERVER_SPEED", "0.1")
    os.environ.pop("FAL_KEY", None)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        home = work / "home"
        fill_journal(home)
        py_times = python_history_open(home)
        models = models_per_view()
        browser = browser_history_open(work, home)
        os.environ["FALWIDGETS_HOME"] = str(work / "home2")
        base, grown, separate = notebook_growth(work)
    worst = max(t for t, _ in browser)
    growth = grown - base
    lines = [
        "| measure | value | budget | verdict |",
        "|---|---|---|---|",
        f"| history of {ENTRIES:,} runs visible after its cell (JupyterLab, worst of 3; "
        f"median {statistics.median(t for t, _ in browser):.2f} s) | {worst:.2f} s | "
        f"≤ {HISTORY_BUDGET:.0f} s | {'pass' if 0 < worst <= HISTORY_BUDGET else 'FAIL'} |",
        f"| same, Python side only (widget + first page of 50, median of 5) | "
        f"{statistics.median(py_times) * 1000:.0f} ms | | |",
        f"| notebook, one result pane displayed, no runs | {base / 1024:.1f} KB | | |",
        f"| same + {RUNS} runs x {IMAGES} images shown in that pane | {grown / 1024:.1f} KB | | |",
        f"| growth | {growth / 1024:.1f} KB | ≤ {SIZE_BUDGET // 1024} KB | "
        f"{'pass' if growth <= SIZE_BUDGET else 'FAIL'} |",
        f"| for comparison: {RUNS} separate `falwidgets.preview()` cells | "
        f"+{(separate - base) / 1024:.1f} KB | | |",
    ]
    for name, n in models:
        lines.append(
            f"| widget models: {name} | {n} | 1 (2 with GLB) | "
            f"{'pass' if n <= (2 if 'GLB' in name else 1) else 'FAIL'} |"
        )
    body = "\n".join(lines) + (
        "\n\nHistory: the journal holds 10,000 synthetic completed runs (one image each); the "
        "browser asks for one page of 50 rows by a custom message, so neither the widget state "
        "nor the notebook holds rows. Timed in the page from `notebook:run-cell` to the first "
        "row visible, after a warm-up cell (imports).\n"
        "Growth: nbclient with `store_widget_state=True`; each run's result is JSON blocks by URL "
        "in one widget (`Preview.update`, as the app's result pane does), so runs add no models. "
        "Models: every view shares one Layout model per kernel (not counted). "
        "A separate `preview()` per run saves its own copy of the ES module and CSS (about "
        "17 KB each): show runs in one pane (the app does), not one preview per cell."
    )
    write_section("face_results", ".venv/bin/python bench/face_results.py", body)
    print(body)
    print(json.dumps({"python_ms": [round(t * 1000) for t in py_times]}))


if __name__ == "__main__":
    main()
