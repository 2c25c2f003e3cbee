"""The anywidget face (issue 11): widget models per app, saved-notebook growth, app visible time.

1. Models: widget models (comms) one ``app`` creates, for the seed app and the largest corpus
   form. Target 1 (the app is one anywidget).
2. Size: a notebook that displays one face app and runs it 20 times with 4 images each, executed
   by nbclient with widget state saved, against the same notebook with no runs. Budget 50 KB.
3. Latency: in JupyterLab under headless Chromium, the time from running a cell with
   ``app(<largest corpus form>)`` to the app being drawn (``.fw-app[data-ready='1']``), three
   times after a warm-up cell. Budget 300 ms.

Run: ``.venv/bin/python bench/face.py`` (writes its section of bench/RESULTS.md).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

from _results import write_section
from notebook_size import _executed_size, largest_forms

ROOT = Path(__file__).resolve().parents[1]
SIZE_BUDGET = 50 * 1024
LATENCY_BUDGET = 0.3
RUNS, IMAGES = 20, 4


def count_models(path: Path) -> dict[str, tuple[int, int]]:
    """Models one app creates: (all of them, all but the Layout every DOMWidget carries)."""
    from ipywidgets.widgets.widget import _instances

    from falwidgets.client import AsyncClient
    from falwidgets.runner import app
    from falwidgets.runner._backend import local_server
    from falwidgets.schema import load_endpoint

    out = {}
    client = AsyncClient(base_url=local_server().url)
    for name, source in (("fal-ai/flux-realism", "fal-ai/flux-realism"), (path.stem, path)):
        before = set(_instances)
        app = app(load_endpoint(source), client=client)
        made = [_instances[k] for k in set(_instances) - before]
        out[name] = (len(made), sum(type(m).__name__ != "Layout" for m in made))
        app.close()
    return out


def measure_size(workdir: Path) -> tuple[int, int]:
    setup = ["from falwidgets.runner import app\nui = app('fal-ai/flux-realism')\nui"]
    runs = [
        f"ui.run({{'prompt': 'a lighthouse, take {i}', 'seed': {i}, 'num_images': {IMAGES}, "
        "'num_inference_steps': 4});"
        for i in range(RUNS)
    ]
    return (
        _executed_size(setup, workdir, "face-baseline"),
        _executed_size(setup + runs, workdir, "face-twenty-runs"),
    )


_TIME_CELL_JS = """
async ([index, budget]) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  const cell = panel.content.widgets[index];
  const before = new Set(document.querySelectorAll(".fw-app[data-ready='1']"));
  panel.content.activeCellIndex = index;
  const t0 = performance.now();
  app.commands.execute("notebook:run-cell");
  while (performance.now() - t0 < budget) {
    const found = [...cell.node.querySelectorAll(".fw-app[data-ready='1']")]
      .find((a) => !before.has(a) && a.getBoundingClientRect().height > 0);
    if (found) return performance.now() - t0;
    await new Promise((r) => requestAnimationFrame(r));
  }
  return -1;
}
"""


def measure_latency(path: Path, workdir: Path) -> list[float]:
    sys.path.insert(0, str(ROOT / "tests" / "browser"))
    from browser_harness import CHROMIUM_FLAGS, Lab, LabServer, chromium_path
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    if chromium is None:
        raise SystemExit("Chromium is missing: apt-get install chromium (or set CHROMIUM)")
    server = LabServer(workdir / "lab", env_extra={"FALWIDGETS_HOME": str(workdir / "home")})
    server.start()
    playwright = sync_playwright().start()
    try:
        context = playwright.chromium.launch_persistent_context(
            str(workdir / "profile"),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1440, "height": 1800},
        )
        lab = Lab(server, context, ROOT / "tests" / "artifacts")
        cells = [
            "from falwidgets.runner import app\n"
            "from falwidgets.schema import load_endpoint\n"
            "app('fal-ai/flux-realism')",  # warm: imports, local server, the bundle
            f"app(load_endpoint({str(path)!r}))",
        ]
        page = lab.run_notebook(cells, "bench-face-latency")
        times = [page.evaluate(_TIME_CELL_JS, [1, 10_000]) / 1000 for _ in range(3)]
        lab.screenshot(page, "bench-face-latency")
        context.close()
    finally:
        playwright.stop()
        server.stop()
    return times


def main() -> None:
    os.environ.setdefault("FALWIDGETS_SERVER_SPEED", "0.1")
    os.environ.pop("FAL_KEY", None)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["FALWIDGETS_HOME"] = str(work / "home")
        (nodes, fields, endpoint_id, path), *_ = largest_forms()
        models = count_models(path)
        base, grown = measure_size(work)
        times = measure_latency(path, work)
    growth = grown - base
    worst = max(times)
    lines = [
        "| measure | value | budget | verdict |",
        "|---|---|---|---|",
        *(
            f"| widget models per app, `{name}` (+ the Layout model every DOMWidget has) | "
            f"{own} (+{total - own}) | 1 | {'pass' if own == 1 else 'FAIL'} |"
            for name, (total, own) in models.items()
        ),
        f"| notebook, face app displayed, no runs | {base / 1024:.1f} KB | | |",
        f"| same + {RUNS} runs x {IMAGES} images | {grown / 1024:.1f} KB | | |",
        f"| growth | {growth / 1024:.1f} KB | ≤ {SIZE_BUDGET // 1024} KB | "
        f"{'pass' if growth <= SIZE_BUDGET else 'FAIL'} |",
        f"| `{endpoint_id}` app drawn after its cell runs ({nodes} fields in all, {fields} "
        f"top-level; median {statistics.median(times) * 1000:.0f} ms of 3) | "
        f"{worst * 1000:.0f} ms (worst) | ≤ {LATENCY_BUDGET * 1000:.0f} ms | "
        f"{'pass' if 0 < worst <= LATENCY_BUDGET else 'FAIL'} |",
    ]
    body = "\n".join(lines) + (
        "\n\nThe app is one anywidget (form, status, logs, result in one model); results are "
        "described by URL, so runs add little state. Latency: kernel execution of the cell, "
        "the comm message and the browser drawing the app (header, main fields, result pane; "
        '"Additional settings" is drawn on first open), on a shared 2-core machine.'
    )
    write_section("face (issue 11)", "python bench/face.py", body)
    print(body)


if __name__ == "__main__":
    main()
