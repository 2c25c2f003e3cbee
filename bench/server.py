"""Server under load: 200 concurrent submissions, status latency while they run, all complete.

Run: `.venv/bin/python bench/server.py` (writes the "server" section of bench/RESULTS.md).
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import time
from pathlib import Path

import httpx

sys.path.insert(0, str(Path(__file__).parent))
from _results import write_section

SUBMISSIONS = 200
ENDPOINT = "fal-ai/flux-realism"
DEADLINE = 300.0
POLL_INTERVAL = 0.25


async def main(url: str) -> dict[str, float]:
    limits = httpx.Limits(max_connections=SUBMISSIONS, max_keepalive_connections=SUBMISSIONS)
    async with httpx.AsyncClient(base_url=url, timeout=60, limits=limits) as http:
        started = time.perf_counter()
        submits = await asyncio.gather(
            *(
                http.post(
                    f"/{ENDPOINT}",
                    json={
                        "prompt": f"load {i}",
                        "seed": i,
                        "image_size": "square",
                        "num_inference_steps": 8,
                    },
                )
                for i in range(SUBMISSIONS)
            )
        )
        submit_seconds = time.perf_counter() - started
        assert all(r.status_code == 200 for r in submits), {r.status_code for r in submits}
        urls = [r.json()["status_url"] for r in submits]
        latencies: list[float] = []
        pending = set(urls)
        end = time.monotonic() + DEADLINE

        async def client(index: int, status_url: str) -> None:
            """One user polling its own request every POLL_INTERVAL (the JS client's habit)."""
            await asyncio.sleep(POLL_INTERVAL * index / SUBMISSIONS)  # spread the clients
            while time.monotonic() < end:
                t0 = time.perf_counter()
                response = await http.get(status_url)
                latencies.append(time.perf_counter() - t0)
                if response.json()["status"] == "COMPLETED":
                    pending.discard(status_url)
                    return
                await asyncio.sleep(POLL_INTERVAL)

        probe_latencies: list[float] = []

        def probe() -> None:
            """A separate user on its own connection and thread: what a person would feel."""
            with httpx.Client(timeout=30) as own:
                index = 0
                while pending and time.monotonic() < end:
                    t0 = time.perf_counter()
                    own.get(urls[index % len(urls)])
                    probe_latencies.append(time.perf_counter() - t0)
                    index += 7
                    time.sleep(0.02)

        prober = asyncio.get_running_loop().run_in_executor(None, probe)
        await asyncio.gather(*(client(i, u) for i, u in enumerate(urls)))
        await prober
        latencies = probe_latencies or latencies
        total = time.perf_counter() - started
        failed = 0
        for status_url in urls:
            body = (await http.get(status_url)).json()
            failed += body["status"] != "COMPLETED" or "error" in body
        return {
            "submit_seconds": submit_seconds,
            "total_seconds": total,
            "median_ms": statistics.median(latencies) * 1000,
            "p95_ms": statistics.quantiles(latencies, n=20)[18] * 1000,
            "polls": len(latencies),
            "incomplete": len(pending),
            "failed": failed,
        }


def run_server_process() -> tuple[subprocess.Popen[str], str]:
    """The server in its own process, as `falwidgets serve` runs it (client CPU stays apart)."""
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "falwidgets",
            "serve",
            "--port",
            "0",
            "--speed",
            "0.1",
            "--workers",
            "4",
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    assert proc.stderr is not None
    line = proc.stderr.readline()
    if "server on" not in line:
        proc.kill()
        raise RuntimeError(f"server did not start: {line!r}")
    return proc, line.split()[3]


if __name__ == "__main__":
    proc, url = run_server_process()
    try:
        result = asyncio.run(main(url))
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    ok = result["incomplete"] == 0 and result["failed"] == 0 and result["median_ms"] < 50
    body = f"""
{SUBMISSIONS} concurrent submissions to `{ENDPOINT}` (8 steps, 512x512 JPEG) on
`falwidgets serve --workers 4 --speed 0.1` (own process); each of the 200 requests is then polled
by its own simulated client every 0.25 s until it completes, while one more user on its own
connection polls statuses every 20 ms; status latency is what that user measured.

| measure | value | target |
|---|---|---|
| all 200 submits answered | {result["submit_seconds"]:.2f} s | |
| all jobs completed | {result["total_seconds"]:.2f} s | every job completes |
| status latency, median | {result["median_ms"]:.1f} ms | < 50 ms |
| status latency, p95 | {result["p95_ms"]:.1f} ms | |
| status calls measured | {result["polls"]} | |
| incomplete / failed | {result["incomplete"]} / {result["failed"]} | 0 / 0 |

Verdict: {"PASS" if ok else "FAIL"}
"""
    print(body)
    write_section("server", ".venv/bin/python bench/server.py", body)
    raise SystemExit(0 if ok else 1)
