"""Fault campaign: many jobs through ``AsyncClient`` against a local server that injects faults.

Proves, with numbers, that the client survives gateway errors, 429s with Retry-After, dropped
connections, cut SSE streams, slow answers and requeues: every job's result is retrieved, the
server counts exactly one submission per job, and no job waits past its deadline.

    .venv/bin/python bench/faults.py              # 500 jobs at concurrency 50 -> bench/RESULTS.md
    .venv/bin/python bench/faults.py --jobs 100   # quicker

``tests/reliability/test_faults.py`` runs a smaller campaign through :func:`run_campaign`.
A submit that fails ambiguously (the connection dropped after the body was sent) is re-submitted
by this driver, as a user would; the server's per-submission counter then shows whether that ever
made a duplicate (it must not: the server never enqueues a call it refused).
"""

from __future__ import annotations

import argparse
import asyncio
import re
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_FAULTS = "http_5xx=0.05,http_429=0.05,drop=0.02,sse_cut=0.1,slow=0.05,requeue=0.05,seed=1"
ENDPOINT = "reliability/campaign"
FAULT_KINDS = ("http_5xx", "http_429", "drop", "sse_cut", "slow", "requeue")


class CampaignIn(BaseModel):
    job: int
    steps: int = 4


class CampaignOut(BaseModel):
    job: int
    steps_done: int


def register_endpoint() -> None:
    """A cheap endpoint with real steps (so requeue faults hit mid-job) and per-job output."""
    from falwidgets.server import endpoint, endpoints

    if ENDPOINT in endpoints():
        return

    @endpoint(ENDPOINT, input=CampaignIn, output=CampaignOut)
    def campaign_job(inp: CampaignIn, ctx: Any) -> CampaignOut:
        done = sum(1 for _ in ctx.steps(inp.steps))
        return CampaignOut(job=inp.job, steps_done=done)


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts every HTTP attempt the client makes and the faulty answers it absorbed."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=512, max_keepalive_connections=128)
        )
        self.calls = 0
        self.statuses: Counter[int] = Counter()
        self.transport_errors = 0

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError:
            self.transport_errors += 1
            raise
        self.statuses[response.status_code] += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@dataclass
class CampaignReport:
    jobs: int
    concurrency: int
    faults_spec: str
    completed: int = 0
    lost: int = 0
    wrong: int = 0
    duplicates: int = 0
    submissions_counted: int = 0
    resubmits: int = 0
    overruns: int = 0  # finished (or failed) after their deadline + grace
    errors: list[str] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)
    http_calls: int = 0
    faulty_answers: int = 0  # 429/5xx answers the client retried through
    transport_errors: int = 0
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    deadline: float = 0.0

    def percentile(self, q: float) -> float:
        if not self.latencies:
            return float("nan")
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, int(q * len(ordered)))]

    def table(self) -> str:
        faults = ", ".join(f"{k} {self.faults.get(k, 0)}" for k in FAULT_KINDS)
        rows = [
            ("jobs", f"{self.jobs} at concurrency {self.concurrency}"),
            ("faults injected (server)", f"{sum(self.faults.values())}: {faults}"),
            ("results retrieved", str(self.completed)),
            ("lost", str(self.lost)),
            ("wrong results", str(self.wrong)),
            ("duplicates (server-counted)", str(self.duplicates)),
            ("submissions counted by server", str(self.submissions_counted)),
            ("failed submits re-sent by the driver", str(self.resubmits)),
            ("past deadline (hangs)", f"{self.overruns} (deadline {self.deadline:.0f} s/job)"),
            (
                "client HTTP calls",
                f"{self.http_calls} ({self.http_calls / max(1, self.jobs):.1f}/job)",
            ),
            ("faulty answers retried (429/5xx)", str(self.faulty_answers)),
            ("connection errors before an answer", str(self.transport_errors)),
            (
                "latency p50 / p99 / max",
                "{:.2f} s / {:.2f} s / {:.2f} s".format(
                    self.percentile(0.5),
                    self.percentile(0.99),
                    max(self.latencies) if self.latencies else float("nan"),
                ),
            ),
            ("wall time", f"{self.wall:.1f} s"),
        ]
        lines = ["| measure | value |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows]
        return "\n".join(lines)


def _faults_from_metrics(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for match in re.finditer(r'^falwidgets_faults_total\{kind="(\w+)"\}\s+([0-9.e+]+)', text, re.M):
        found[match.group(1)] = int(float(match.group(2)))
    return found


def _is_refused_submit(error: Exception) -> bool:
    """A submit that got no request id back: a gateway error or no answer at all.

    The client itself retries only what provably never reached the queue (connection refused,
    429, 503). Anything else a user would re-send by hand; the driver does the same and the
    server's per-submission counter shows whether that ever created a duplicate.
    """
    from falwidgets import DeadlineExceeded, ServerError

    return isinstance(error, (ServerError, DeadlineExceeded)) and not error.request_id


async def run_campaign(
    server_url: str,
    *,
    jobs: int,
    concurrency: int,
    job_deadline: float = 60.0,
    grace: float = 5.0,
    steps: int = 4,
    faults_spec: str = "",
    proxy_url: str | None = None,
    check: bool = True,
) -> CampaignReport:
    """Run ``jobs`` jobs and measure; the server must serve :data:`ENDPOINT` (see above).

    ``check=False`` skips asking the server for its counters (for a server that is not there).
    """
    from falwidgets import AsyncClient, FalError

    report = CampaignReport(jobs, concurrency, faults_spec, deadline=job_deadline)
    transport = CountingTransport()
    options: dict[str, Any] = {"proxy_url": proxy_url} if proxy_url else {"base_url": server_url}
    client = AsyncClient(transport=transport, wait=job_deadline, **options)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(job: int) -> None:
        async with semaphore:
            started = time.monotonic()
            end = started + job_deadline
            try:
                while True:
                    try:
                        handle = await client.submit(
                            ENDPOINT, {"job": job, "steps": steps}, timeout=end - time.monotonic()
                        )
                        break
                    except FalError as error:
                        if not _is_refused_submit(error) or time.monotonic() >= end:
                            raise
                        report.resubmits += 1
                        await asyncio.sleep(0.05)
                result = await handle.result(timeout=max(0.1, end - time.monotonic()))
            except Exception as error:  # every failure is a lost job, with its reason kept
                report.lost += 1
                report.errors.append(f"job {job}: {type(error).__name__}: {error}"[:300])
            else:
                if result.get("job") == job and result.get("steps_done") == steps:
                    report.completed += 1
                else:
                    report.wrong += 1
                report.latencies.append(time.monotonic() - started)
            if time.monotonic() > end + grace:
                report.overruns += 1

    started = time.monotonic()
    # the watchdog: a client that ignored its own deadlines shows up here as a hang
    watchdog = job_deadline * (jobs / concurrency + 1) + 60
    try:
        await asyncio.wait_for(asyncio.gather(*(one(i) for i in range(jobs))), watchdog)
    finally:
        report.wall = time.monotonic() - started
        await client.aclose()
    report.http_calls = transport.calls
    report.faulty_answers = sum(
        n for s, n in transport.statuses.items() if s in (429, 502, 503, 504)
    )
    report.transport_errors = transport.transport_errors
    if not check:
        return report
    with httpx.Client(base_url=server_url, timeout=30) as ops:
        counted = ops.get("/_falwidgets/submissions").json()["submissions"]
        mine = [c for c in counted if c["endpoint"].startswith(ENDPOINT)]
        report.submissions_counted = sum(c["count"] for c in mine)
        report.duplicates = sum(c["count"] - 1 for c in mine if c["count"] > 1)
        report.faults = _faults_from_metrics(ops.get("/metrics").text)
    return report


def run_coroutine(coro: Any) -> Any:
    """``asyncio.run`` that also works in a thread that already runs a loop (Playwright)."""
    from concurrent.futures import ThreadPoolExecutor

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()


def campaign(
    jobs: int = 500,
    concurrency: int = 50,
    faults: str = DEFAULT_FAULTS,
    *,
    workers: int = 16,
    speed: float = 1.0,
    job_deadline: float = 60.0,
    through_proxy: bool = False,
) -> CampaignReport:
    """Start a faulty server (and optionally a proxy in front), run the campaign, stop them."""
    from falwidgets.server import serve

    register_endpoint()
    with serve(port=0, workers=workers, speed=speed, faults=faults) as server:
        if not through_proxy:
            return run_coroutine(
                run_campaign(
                    server.url,
                    jobs=jobs,
                    concurrency=concurrency,
                    job_deadline=job_deadline,
                    faults_spec=faults,
                )
            )
        from falwidgets.proxy import serve_proxy

        token = "fwt_campaign_token_01"
        with serve_proxy([token], upstream=server.url, key="unused-local-key") as proxy:
            return run_coroutine(
                run_campaign(
                    server.url,
                    jobs=jobs,
                    concurrency=concurrency,
                    job_deadline=job_deadline,
                    faults_spec=faults,
                    proxy_url=f"{proxy.url}/t/{token}",
                )
            )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--jobs", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--faults", default=DEFAULT_FAULTS)
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args(argv)
    sections = []
    ok = True
    for label, proxied in (("direct", False), ("through the workshop proxy", True)):
        report = campaign(args.jobs, args.concurrency, args.faults, through_proxy=proxied)
        print(f"## {label}\n{report.table()}\n")
        for line in report.errors[:10]:
            print("  ", line)
        sections.append(f"### {label}\n\n{report.table()}")
        ok = ok and report.lost == 0 and report.duplicates == 0 and report.overruns == 0
    if not args.no_write:
        from _results import write_section

        command = "python bench/faults.py " + " ".join(argv if argv is not None else sys.argv[1:])
        body = (
            f"Faults: `{args.faults}`; endpoint `{ENDPOINT}` (4 steps of 30 ms), "
            "16 server workers. Latency is submit to result in hand, per job. Faults hit every "
            "kind of call (submit, status, SSE, result). A submit answered by an injected gateway "
            "error or a dropped connection carries no request id; the client does not re-send it "
            "(it cannot prove the server did not enqueue it), so the driver re-sends it as a user "
            "would, and the server's per-submission counter proves no job was ever enqueued "
            "twice.\n\n" + "\n\n".join(sections)
        )
        write_section("faults", command.strip(), body)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
