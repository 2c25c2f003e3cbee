"""Notebook weight and form latency of the runner (issue 5).

1. Size: a notebook that displays one app and runs it 20 times with 4 images each, executed by
   nbclient with widget state saved, against the same notebook with no runs. Budget: the saved
   ``.ipynb`` grows by at most 100 KB (previews go by URL and replaced previews are closed).
2. Latency: in JupyterLab under headless Chromium (the browser test harness), the time from
   running a cell with ``falwidgets.app(<largest corpus form>)`` to the form being visible.
   Budget: 1.5 s. The largest forms are found by counting FieldSpec nodes over the whole corpus.

Run: ``.venv/bin/python bench/notebook_size.py`` (writes its section of bench/RESULTS.md).
"""

from __future__ import annotations

import os
import statistics
import sys
import tempfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient

from _results import write_section

ROOT = Path(__file__).resolve().parents[1]
SIZE_BUDGET = 100 * 1024
LATENCY_BUDGET = 1.5
RUNS, IMAGES = 20, 4


def _notebook(cells: list[str]) -> nbformat.NotebookNode:
    nb = nbformat.v4.new_notebook()
    nb.metadata["kernelspec"] = {
        "name": "python3",
        "display_name": "Python 3",
        "language": "python",
    }
    nb.cells = [nbformat.v4.new_code_cell(c) for c in cells]
    return nb


def _executed_size(cells: list[str], workdir: Path, name: str) -> int:
    nb = _notebook(cells)
    NotebookClient(nb, kernel_name="python3", timeout=300, store_widget_state=True).execute()
    path = workdir / f"{name}.ipynb"
    nbformat.write(nb, path)
    return path.stat().st_size


def measure_size(workdir: Path) -> tuple[int, int]:
    setup = [
        "import falwidgets\nui = falwidgets.app('fal-ai/flux-realism')\nui",
    ]
    runs = [
        f"ui.run({{'prompt': 'a lighthouse, take {i}', 'seed': {i}, 'num_images': {IMAGES}, "
        "'num_inference_steps': 4});"
        for i in range(RUNS)
    ]
    base = _executed_size(setup, workdir, "baseline")
    grown = _executed_size(setup + runs, workdir, "twenty-runs")
    return base, grown


def largest_forms(count: int = 2) -> list[tuple[int, int, str, str]]:
    """``(nodes, top-level fields, endpoint id, source)`` of the biggest input forms in the
    bundled catalog (the corpus)."""
    from falwidgets.schema import catalog, load_endpoint

    found = []
    for path in catalog():
        try:
            schema = load_endpoint(path)
        except Exception:
            continue
        if schema.input is not None:
            nodes = sum(1 for _ in schema.input.walk())
            found.append((nodes, len(schema.input.properties), schema.endpoint_id, path))
    by_nodes = max(found, key=lambda f: (f[0], f[1]))
    by_fields = max(found, key=lambda f: (f[1], f[0]))
    return [by_nodes] if by_nodes == by_fields else [by_nodes, by_fields][:count]


_TIME_CELL_JS = """
async ([index, budget]) => {
  const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
  const app = window.jupyterapp;
  const panel = app.shell.currentWidget;
  const cell = panel.content.widgets[index];
  const before = new Set(document.querySelectorAll('.fw-app .fw-form'));
  panel.content.activeCellIndex = index;
  const t0 = performance.now();
  app.commands.execute('notebook:run-cell');
  let form = null;
  while (!form && performance.now() - t0 < budget) {
    form = [...cell.node.querySelectorAll('.fw-app .fw-form')]
      .find((f) => !before.has(f) && f.getBoundingClientRect().height > 0);
    if (!form) await sleep(10);
  }
  if (!form) return [-1, -1];
  const visible = performance.now() - t0;
  // then open "Advanced" and wait for its fields: the lazily built part of a big form
  const title = form.querySelector('.fw-advanced .jupyter-widget-Collapse-header, '
    + '.fw-advanced .lm-AccordionPanel-title, .fw-advanced .p-Collapse-header');
  if (!title) return [visible, 0];
  const t1 = performance.now();
  title.click();
  while (performance.now() - t1 < budget) {
    const inner = form.querySelector(
      '.fw-advanced input, .fw-advanced select, .fw-advanced textarea');
    if (inner && inner.getBoundingClientRect().height > 0) {
      return [visible, performance.now() - t1];
    }
    await sleep(10);
  }
  return [visible, -1];
}
"""


def measure_latency(
    forms: list[tuple[int, int, str, str]], workdir: Path
) -> list[tuple[str, list[float], list[float]]]:
    """Seconds from running the cell to the form being visible, three times per form."""
    sys.path[:0] = [str(ROOT / "tests" / "browser"), str(ROOT / "tests")]
    from browser_harness import CHROMIUM_FLAGS, Lab, LabServer, chromium_path
    from playwright.sync_api import sync_playwright

    chromium = chromium_path()
    if chromium is None:
        raise SystemExit("Chromium is missing: apt-get install chromium (or set CHROMIUM)")
    server = LabServer(workdir / "lab", env_extra={"FALWIDGETS_HOME": str(workdir / "home")})
    server.start()
    playwright = sync_playwright().start()
    results = []
    try:
        context = playwright.chromium.launch_persistent_context(
            str(workdir / "profile"),
            executable_path=chromium,
            headless=True,
            args=CHROMIUM_FLAGS,
            viewport={"width": 1280, "height": 1800},
        )
        lab = Lab(server, context, ROOT / "tests" / "artifacts")
        cells = [
            "import falwidgets\nfalwidgets.app('fal-ai/flux-realism')",  # warm: imports, server
            *(
                f"from falwidgets.schema import load_endpoint\n"
                f"falwidgets.app(load_endpoint({path!r}))"
                for _, _, _, path in forms
            ),
        ]
        page = lab.run_notebook(cells, "bench-form-latency")
        for i, (_, _, endpoint_id, _) in enumerate(forms, start=1):
            pairs = [page.evaluate(_TIME_CELL_JS, [i, 10_000]) for _ in range(3)]
            results.append(
                (endpoint_id, [p[0] / 1000 for p in pairs], [p[1] / 1000 for p in pairs])
            )
        lab.screenshot(page, "bench-form-latency")
        context.close()
    finally:
        playwright.stop()
        server.stop()
    return results


def main() -> None:
    os.environ.setdefault("FALWIDGETS_SERVER_SPEED", "0.1")
    os.environ.pop("FAL_KEY", None)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        os.environ["FALWIDGETS_HOME"] = str(work / "home")
        base, grown = measure_size(work)
        growth = grown - base
        forms = largest_forms()
        latencies = measure_latency(forms, work)
    lines = [
        "| measure | value | budget | verdict |",
        "|---|---|---|---|",
        f"| notebook, app displayed, no runs | {base / 1024:.1f} KB | | |",
        f"| same + {RUNS} runs x {IMAGES} images | {grown / 1024:.1f} KB | | |",
        f"| growth | {growth / 1024:.1f} KB | ≤ {SIZE_BUDGET // 1024} KB | "
        f"{'pass' if growth <= SIZE_BUDGET else 'FAIL'} |",
    ]
    for (nodes, fields, _, _), (endpoint_id, times, advanced) in zip(forms, latencies, strict=True):
        worst = max(times)
        lines.append(
            f"| `{endpoint_id}` form visible after its cell runs ({nodes} fields in all, "
            f"{fields} top-level; median {statistics.median(times):.2f} s of 3) | "
            f"{worst:.2f} s (worst) | ≤ {LATENCY_BUDGET} s | "
            f"{'pass' if 0 < worst <= LATENCY_BUDGET else 'FAIL'} |"
        )
        lines.append(
            f"| `{endpoint_id}` then Advanced opened, its fields visible | "
            f"{max(advanced):.2f} s (worst of 3) | | |"
        )
    body = "\n".join(lines) + (
        "\n\nSize: nbclient with `store_widget_state=True` (which keeps even closed widgets); "
        "previews are HTML by URL and every run updates the same preview widget, so runs add "
        "no widget models (the growth is the run cells and the form's Advanced section, built "
        "once when a run sets its fields).\n"
        "Latency: JupyterLab 4 + headless Chromium (SwiftShader), measured in the page from "
        "`notebook:run-cell` to a visible `.fw-form`, after a warm-up cell (imports, local "
        "server); then from a click on Advanced to its first input being visible."
    )
    write_section("notebook_size", ".venv/bin/python bench/notebook_size.py", body)
    print(body)


if __name__ == "__main__":
    main()
