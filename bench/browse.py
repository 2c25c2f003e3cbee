"""browse() search latency per keystroke over the bundled catalogue, and compare() of 4 models on
one input against the local server.

Keystrokes: each query is typed one character at a time; each prefix is one search through the
same path the widget takes (``Browser.search`` -> ``ModelIndex.search`` -> cards into the view),
and the whole per-keystroke time is measured. Target: <= 30 ms per keystroke for 1,340 entries.

Usage: ``PYTHONPATH=src python bench/browse.py [--no-write]``
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _results import write_section

QUERIES = ["flux dev", "upscale video", "text to speech", "kling image to video", "lora", "sdxl"]
COMPARE = [
    "fal-ai/flux-realism",
    "fal-ai/imagen4/preview",
    "fal-ai/fast-lcm-diffusion",
    "fal-ai/flux-krea-lora/stream",
]


def keystrokes(browser) -> list[float]:  # type: ignore[no-untyped-def]
    times: list[float] = []
    for query in QUERIES:
        for end in range(1, len(query) + 1):
            start = time.perf_counter()
            browser.search(query[:end])
            times.append((time.perf_counter() - start) * 1000)
    return times


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--no-write", action="store_true")
    args = parser.parse_args()

    import falwidgets
    from falwidgets.client import AsyncClient
    from falwidgets.runner._browse import Browser, catalog_index
    from falwidgets.server import serve

    start = time.perf_counter()
    index = catalog_index()
    build_ms = (time.perf_counter() - start) * 1000
    with serve(port=0, workers=4) as server:
        client = AsyncClient(base_url=server.url)
        browser = Browser(client=client, live=False)
        keystrokes(browser)  # warm-up
        times = sorted(keystrokes(browser))
        p50 = statistics.median(times)
        p95 = times[int(len(times) * 0.95) - 1]
        worst = times[-1]
        start = time.perf_counter()
        c = falwidgets.compare(
            COMPARE,
            {"prompt": "a red fox in snow", "image_size": "square", "seed": 7},
            client=client,
        )
        compare_s = time.perf_counter() - start
        cells = c.view.cells
        browser.close()
        c.close()
    lines = [
        f"Index of {len(index)} catalogue entries built in {build_ms:.0f} ms (once per kernel).",
        "",
        "| measure | value |",
        "|---|---|",
        f"| keystrokes (prefixes of {len(QUERIES)} queries) | {len(times)} |",
        f"| per keystroke p50 | {p50:.2f} ms |",
        f"| per keystroke p95 | {p95:.2f} ms |",
        f"| per keystroke max | {worst:.2f} ms |",
        "| target | <= 30 ms |",
        "",
        f"compare() of {len(COMPARE)} models on one input (local server, default speed), "
        f"wall time {compare_s:.2f} s (runs in parallel):",
        "",
        "| model | state | time | estimated cost | not taken |",
        "|---|---|---|---|---|",
    ]
    for cell in cells:
        elapsed = f"{cell['elapsed']:.2f} s" if cell["elapsed"] is not None else "-"
        lines.append(
            f"| {cell['endpoint_id']} | {cell['state']} | {elapsed} | {cell['cost']} | "
            f"{', '.join(cell['dropped']) or '-'} |"
        )
    body = "\n".join(lines)
    print(body)
    if not args.no_write:
        write_section("browse", "PYTHONPATH=src python bench/browse.py", body)
    return 0 if worst <= 30 else 1


if __name__ == "__main__":
    raise SystemExit(main())
