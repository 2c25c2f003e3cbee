"""Realtime frames per second and send->frame latency at 512 px: our client vs fal_client.realtime.

Against the local server's realtime demos (`fal-ai/flux-2/klein/realtime`: raw JPEG bytes, and
`fal-ai/fast-lcm-diffusion`: data URIs), three ways:

- closed loop, our client: `send` then `recv`, one frame at a time (`throttle=0`);
- closed loop, `fal_client.realtime` (after `point_fal_client`): the same loop through the official
  client, latency measured around its `send`/`recv`;
- latest wins, our client: inputs sent at 100 Hz (a fast typist or a slider drag) for a few
  seconds while frames are read as they come: delivered fps, latency of the frames shown, and how
  many inputs were replaced before being sent.

Run: `.venv/bin/python bench/realtime.py` (writes the "realtime" section of bench/RESULTS.md).
Each closed-loop figure is the median of 3 runs of FRAMES frames after WARMUP frames.
"""

from __future__ import annotations

import os
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))
from _results import write_section

FRAMES = 150
WARMUP = 10
RUNS = 3
FIREHOSE_SECONDS = 4.0
FIREHOSE_HZ = 100
ENDPOINTS = ("fal-ai/flux-2/klein/realtime", "fal-ai/fast-lcm-diffusion")


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


def closed_loop(step: Callable[[int], float]) -> dict[str, float]:
    """Run `step(i) -> latency` FRAMES times after a warm-up; fps over the whole loop."""
    for index in range(WARMUP):
        step(-index - 1)
    latencies = []
    started = time.perf_counter()
    for index in range(FRAMES):
        latencies.append(step(index))
    wall = time.perf_counter() - started
    return {
        "fps": FRAMES / wall,
        "p50": percentile(latencies, 0.5) * 1000,
        "p99": percentile(latencies, 0.99) * 1000,
    }


def median_of_runs(run: Callable[[], dict[str, float]]) -> dict[str, float]:
    results = [run() for _ in range(RUNS)]
    return {key: statistics.median(r[key] for r in results) for key in results[0]}


def ours(url: str, endpoint: str) -> dict[str, float]:
    from falwidgets import Client

    path = "" if endpoint.endswith("/realtime") else "/realtime"
    with (
        Client(base_url=url, journal=False) as client,
        client.realtime(endpoint, path=path, throttle=0) as rt,
    ):

        def step(index: int) -> float:
            rt.send({"prompt": f"bench frame {index}", "seed": index})
            frame = rt.recv(timeout=30)
            assert frame.input is not None and frame.input["seed"] == index
            return frame.latency

        return median_of_runs(lambda: closed_loop(step))


def official(url: str, endpoint: str) -> dict[str, float]:
    import fal_client

    from falwidgets.server import point_fal_client

    path = "" if endpoint.endswith("/realtime") else "/realtime"
    with point_fal_client(url), fal_client.realtime(endpoint, path=path) as connection:

        def step(index: int) -> float:
            started = time.perf_counter()
            connection.send({"prompt": f"bench frame {index}", "seed": index})
            result = connection.recv()
            assert result is not None and result["seed"] == index
            return time.perf_counter() - started

        return median_of_runs(lambda: closed_loop(step))


def firehose(url: str, endpoint: str) -> dict[str, float]:
    """Inputs at FIREHOSE_HZ while a reader takes frames as they come (latest wins)."""
    from falwidgets import Client
    from falwidgets.client import DeadlineExceeded

    path = "" if endpoint.endswith("/realtime") else "/realtime"
    with (
        Client(base_url=url, journal=False) as client,
        client.realtime(endpoint, path=path, throttle=0) as rt,
    ):
        stop = threading.Event()
        latencies: list[float] = []

        def read() -> None:
            while not stop.is_set():
                try:
                    latencies.append(rt.recv(timeout=0.5).latency)
                except DeadlineExceeded:
                    continue

        reader = threading.Thread(target=read, daemon=True)
        reader.start()
        sent = 0
        started = time.perf_counter()
        while time.perf_counter() - started < FIREHOSE_SECONDS:
            rt.send({"prompt": f"typing {sent}", "seed": sent})
            sent += 1
            time.sleep(1 / FIREHOSE_HZ)
        wall = time.perf_counter() - started
        stop.set()
        reader.join(5)
        return {
            "sent": sent,
            "frames": len(latencies),
            "fps": len(latencies) / wall,
            "p50": percentile(latencies, 0.5) * 1000,
            "p99": percentile(latencies, 0.99) * 1000,
            "dropped": rt.dropped_inputs,
        }


def render_cost() -> float:
    """ms per 512 px frame drawn and JPEG-encoded by the demo, outside any socket."""
    from falwidgets.server.demos.realtime import draw_frame, jpeg

    started = time.perf_counter()
    for index in range(50):
        jpeg(draw_frame(f"render {index}", index, 0.5, 512, 512))
    return (time.perf_counter() - started) / 50 * 1000


def main() -> None:
    from falwidgets.server import serve

    rows = []
    firehoses = []
    with serve(port=0) as server:
        draw_ms = render_cost()
        for endpoint in ENDPOINTS:
            mine, theirs = ours(server.url, endpoint), official(server.url, endpoint)
            rows.append((endpoint, mine, theirs))
            firehoses.append((endpoint, firehose(server.url, endpoint)))
    load = os.getloadavg()[0]
    lines = [
        f"Machine load (1 min average) at the end: {load:.1f} on {os.cpu_count()} cores; "
        "numbers from a busy machine are lower bounds.",
        "",
        f"Demo frame cost (draw + JPEG, 512 x 512, no socket): {draw_ms:.1f} ms. "
        f"Targets: >= 20 fps and p50 <= 50 ms through our client.",
        "",
        f"Closed loop (send, wait for the frame, repeat), median of 3 runs of {FRAMES} frames:",
        "",
        "| endpoint | client | fps | latency p50 | latency p99 |",
        "|---|---|---|---|---|",
    ]
    for endpoint, mine, theirs in rows:
        for name, result in (("falwidgets", mine), ("fal_client", theirs)):
            lines.append(
                f"| `{endpoint}` | {name} | {result['fps']:.1f} | {result['p50']:.1f} ms | "
                f"{result['p99']:.1f} ms |"
            )
    lines += [
        "",
        f"Latest wins (our client; inputs sent at {FIREHOSE_HZ} Hz for {FIREHOSE_SECONDS:g} s, "
        "frames read as they come):",
        "",
        "| endpoint | inputs sent | frames | fps | latency p50 | latency p99 | inputs replaced |",
        "|---|---|---|---|---|---|---|",
    ]
    for endpoint, result in firehoses:
        lines.append(
            f"| `{endpoint}` | {result['sent']} | {result['frames']} | {result['fps']:.1f} | "
            f"{result['p50']:.1f} ms | {result['p99']:.1f} ms | {result['dropped']} |"
        )
    lines += [
        "",
        "fal_client has no latest-wins mode: sending at 100 Hz without reading would queue every "
        "input on the socket (or, with `max_buffering`, drop the oldest on the server).",
    ]
    body = "\n".join(lines)
    print(body)
    write_section("realtime", ".venv/bin/python bench/realtime.py", body)


if __name__ == "__main__":
    main()
