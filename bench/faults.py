"""Fault campaign: many jobs through ``AsyncClient`` against a local server that injects faults.

Proves, with numbers, that the client survives gateway errors, 429s with Retry-After, dropped
connections, cut SSE streams, slow answers and requeues: every job's result is retrieved, the
server counts exactly one submission per job, and no job waits past its deadline.

    .venv/bin/python bench/faults.py              # 500 jobs at concurrency 50 -> bench/RESULTS.md
    .venv/bin/python bench/faults.py --jobs 100   # quicker

``tests/reliability/test_faults.py`` runs a smaller campaign through :func:`run_campaign`.

The same campaign through ``app()`` widgets (:func:`run_app_campaign`, the third section): one
widget per job, each driven like a user (form value, Run click, wait), at most ``--concurrency``
in flight; every run must end done (right output shown) or failed (banner shown), none stuck.
``tests/reliability/test_app_faults.py`` runs 100 of those.

What the driver re-sends, and what it does not: a submit the server *answered* with an error status
and no request id (an injected 429 or 503 that outlived the client's own retries) was refused before
it was enqueued (this server never enqueues a submit it refuses), so the driver re-sends it, as a
user would, and counts it. A submit whose answer was lost after the body was sent (a dropped
connection, ``accepted_drop``: enqueued then cut, a gateway 502/504, or the proxy's "may have been
accepted upstream" 502) is reconciled by the client itself (``client/_reconcile.py``): found in the
server's request history and resumed, or, since this server promises its listing includes queued
requests, proven absent and resubmitted once. The table counts both; an ``AmbiguousSubmit`` that
still reached the caller would be counted apart and fails the campaign. The server's
per-submission counter shows that no job was enqueued twice.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import httpx
from pydantic import BaseModel

sys.path.insert(0, str(Path(__file__).resolve().parent))

DEFAULT_FAULTS = (
    "http_5xx=0.05,http_429=0.05,drop=0.02,sse_cut=0.1,slow=0.05,requeue=0.05,"
    "accepted_drop=0.05,seed=1"
)
ENDPOINT = "reliability/campaign"
FAULT_KINDS = ("http_5xx", "http_429", "drop", "sse_cut", "slow", "requeue", "accepted_drop")


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


_RETRYABLE = frozenset({408, 429, 500, 502, 503, 504})


def call_kind(request: httpx.Request) -> str:
    """submit / status / sse / result / cancel / history / other, also through a proxy."""
    url = request.headers.get("x-fal-target-url") or str(request.url)
    path = urlsplit(url).path
    if path.startswith("/v1/"):
        return "history"  # request-history lookups of the client's reconciliation
    if "/requests/" not in path:
        return "submit" if request.method == "POST" and path.count("/") >= 2 else "other"
    if path.endswith("/status/stream"):
        return "sse"
    if path.endswith("/status"):
        return "status"
    if path.endswith("/cancel"):
        return "cancel"
    return "result"


class _CountedStream(httpx.AsyncByteStream):
    """A response body that reports errors raised while it is read (a drop after the headers)."""

    def __init__(self, inner: httpx.AsyncByteStream, on_error: Any) -> None:
        self.inner = inner
        self.on_error = on_error

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for chunk in self.inner:
                yield chunk
        except httpx.TransportError:
            self.on_error()
            raise

    async def aclose(self) -> None:
        await self.inner.aclose()


class CountingTransport(httpx.AsyncBaseTransport):
    """Counts every HTTP attempt, each failed one (status or connection error, body reads too),
    and the client's own retries: a new attempt at a call (same method, URL and body) whose last
    attempt failed. Submits are keyed by body, so a driver re-send counts here too; the report
    subtracts those (:attr:`CampaignReport.resubmits`).
    """

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport(
            limits=httpx.Limits(max_connections=512, max_keepalive_connections=128)
        )
        self.calls = 0
        self.by_kind: Counter[str] = Counter()
        self.statuses: Counter[int] = Counter()
        self.transport_errors = 0  # before an answer, or while its body was read
        self.body_errors = 0  # of those, while the body was read
        self.failed_by_kind: Counter[str] = Counter()
        self.retries_by_kind: Counter[str] = Counter()
        self._failed: set[tuple[str, str, bytes]] = set()

    @staticmethod
    def _key(request: httpx.Request) -> tuple[str, str, bytes]:
        url = request.headers.get("x-fal-target-url") or str(request.url)
        body = request.content if request.method == "POST" else b""
        return request.method, url, body

    def _fail(self, key: tuple[str, str, bytes], kind: str) -> None:
        self.failed_by_kind[kind] += 1
        self._failed.add(key)

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        kind = call_kind(request)
        self.by_kind[kind] += 1
        key = self._key(request)
        if key in self._failed:
            self._failed.discard(key)
            self.retries_by_kind[kind] += 1
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError:
            self.transport_errors += 1
            self._fail(key, kind)
            raise
        self.statuses[response.status_code] += 1
        if response.status_code in _RETRYABLE:
            self._fail(key, kind)

        def on_body_error() -> None:
            self.transport_errors += 1
            self.body_errors += 1
            self._fail(key, kind)

        assert isinstance(response.stream, httpx.AsyncByteStream)
        response.stream = _CountedStream(response.stream, on_body_error)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def latency_cell(latencies: list[float]) -> str:
    """`p50 / p99 / max` of a campaign's latencies, for its table."""
    worst = max(latencies) if latencies else float("nan")
    p50, p99 = percentile(latencies, 0.5), percentile(latencies, 0.99)
    return f"{p50:.2f} s / {p99:.2f} s / {worst:.2f} s"


def markdown_table(rows: list[tuple[str, str]]) -> str:
    return "\n".join(["| measure | value |", "|---|---|"] + [f"| {a} | {b} |" for a, b in rows])


@dataclass
class CampaignReport:
    jobs: int
    concurrency: int
    faults_spec: str
    completed: int = 0
    lost: int = 0  # failed for any reason other than an ambiguous submit
    wrong: int = 0
    ambiguous: int = 0  # submit answer lost after sending: not re-sent, reported "may have"
    duplicates: int = 0
    submissions_counted: int = 0
    resubmits: int = 0  # submits the server refused (error status, no id), re-sent by the driver
    reconciled: dict[str, int] = field(default_factory=dict)  # the client's (_reconcile)
    overruns: int = 0  # finished (or failed) after their deadline + grace
    errors: list[str] = field(default_factory=list)
    ambiguous_errors: list[str] = field(default_factory=list)
    faults: dict[str, int] = field(default_factory=dict)
    http_calls: int = 0
    calls_by_kind: dict[str, int] = field(default_factory=dict)
    failed_by_kind: dict[str, int] = field(default_factory=dict)
    retries_by_kind: dict[str, int] = field(default_factory=dict)  # the client's own
    faulty_answers: int = 0  # 429/5xx answers the client saw
    transport_errors: int = 0
    body_errors: int = 0
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    deadline: float = 0.0

    def table(self) -> str:
        faults = ", ".join(f"{k} {self.faults.get(k, 0)}" for k in FAULT_KINDS)

        def kinds(counts: dict[str, int]) -> str:
            shown = [f"{k} {counts[k]}" for k in sorted(counts) if counts[k]]
            return f"{sum(counts.values())}: {', '.join(shown)}" if shown else "0"

        rows = [
            ("jobs", f"{self.jobs} at concurrency {self.concurrency}"),
            ("faults injected (server)", f"{sum(self.faults.values())}: {faults}"),
            ("results retrieved", str(self.completed)),
            ("wrong results", str(self.wrong)),
            ("lost (failed, not an ambiguous submit)", str(self.lost)),
            (
                "ambiguous submit errors reaching the caller (answer lost, not found nor "
                "proven absent)",
                str(self.ambiguous),
            ),
            (
                "lost submit answers reconciled by the client: found in history and resumed / "
                "proven absent and resubmitted / unresolved",
                f"{self.reconciled.get('ambiguous', 0)}: {self.reconciled.get('found', 0)} / "
                f"{self.reconciled.get('resubmitted', 0)} / {self.reconciled.get('unresolved', 0)}",
            ),
            ("submits refused before enqueue (re-sent by the caller)", str(self.resubmits)),
            ("submissions counted by server", str(self.submissions_counted)),
            ("server-counted duplicates", str(self.duplicates)),
            ("past deadline (hangs)", f"{self.overruns} (deadline {self.deadline:.0f} s/job)"),
            (
                "client HTTP calls",
                f"{self.http_calls} ({self.http_calls / max(1, self.jobs):.1f}/job): "
                + kinds(self.calls_by_kind).split(": ", 1)[-1],
            ),
            ("failed attempts seen by the client, by call", kinds(self.failed_by_kind)),
            ("client-internal retries, by call", kinds(self.retries_by_kind)),
            ("429/5xx answers", str(self.faulty_answers)),
            (
                "connection errors (before an answer / reading its body)",
                f"{self.transport_errors} ({self.transport_errors - self.body_errors} / "
                f"{self.body_errors})",
            ),
            (
                "latency p50 / p99 / max",
                latency_cell(self.latencies),
            ),
            ("wall time", f"{self.wall:.1f} s"),
        ]
        return markdown_table(rows)


def _faults_from_metrics(text: str) -> dict[str, int]:
    found: dict[str, int] = {}
    for match in re.finditer(r'^falwidgets_faults_total\{kind="(\w+)"\}\s+([0-9.e+]+)', text, re.M):
        found[match.group(1)] = int(float(match.group(2)))
    return found


def submit_failure(error: Exception) -> str:
    """``"refused"``, ``"ambiguous"`` or ``"other"`` for a failed submit (see the module docstring).

    Refused: the server answered with a 429/5xx status and no request id; this server never
    enqueues a submit it answers that way, so re-sending cannot duplicate. Ambiguous: no answer
    came back after the body was sent (a dropped connection), or the proxy says the upstream may
    have accepted it (its 502 ``upstream_error``).
    """
    from falwidgets import AmbiguousSubmit, DeadlineExceeded, FalError

    if isinstance(error, AmbiguousSubmit):
        return "ambiguous"  # the client could neither find it in the history nor prove it absent
    if not isinstance(error, FalError) or error.request_id:
        return "other"
    if isinstance(error.__cause__, (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)):
        return "refused"  # the connection never opened: nothing was sent
    if isinstance(error, DeadlineExceeded) and error.__cause__ is None:
        return "refused"  # the deadline passed before another attempt: nothing was sent
    if error.status_code is None or error.error_type == "upstream_error":
        return "ambiguous"
    if error.status_code == 429 or error.status_code >= 500:
        return "refused"
    return "other"


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
    from falwidgets.client import reconcile_stats

    report = CampaignReport(jobs, concurrency, faults_spec, deadline=job_deadline)
    reconcile_stats(reset=True)
    transport = CountingTransport()
    options: dict[str, Any] = {"proxy_url": proxy_url} if proxy_url else {"base_url": server_url}
    client = AsyncClient(transport=transport, wait=job_deadline, **options)
    semaphore = asyncio.Semaphore(concurrency)

    async def one(job: int) -> None:
        async with semaphore:
            started = time.monotonic()
            end = started + job_deadline
            handle = None
            try:
                while True:
                    try:
                        handle = await client.submit(
                            ENDPOINT, {"job": job, "steps": steps}, timeout=end - time.monotonic()
                        )
                        break
                    except FalError as error:
                        outcome = submit_failure(error)
                        if outcome == "ambiguous":  # not re-sent: it may have been accepted
                            report.ambiguous += 1
                            report.ambiguous_errors.append(f"job {job}: {error}"[:300])
                            break
                        if outcome != "refused" or time.monotonic() >= end:
                            raise
                        report.resubmits += 1
                        await asyncio.sleep(0.05)
                result = (
                    await handle.result(timeout=max(0.1, end - time.monotonic()))
                    if handle is not None
                    else None
                )
            except Exception as error:  # every other failure is a lost job, its reason kept
                report.lost += 1
                report.errors.append(f"job {job}: {type(error).__name__}: {error}"[:300])
            else:
                if result is None:
                    pass  # ambiguous, counted above
                elif result.get("job") == job and result.get("steps_done") == steps:
                    report.completed += 1
                    report.latencies.append(time.monotonic() - started)
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
    report.reconciled = reconcile_stats(reset=True)
    report.http_calls = transport.calls
    report.calls_by_kind = dict(transport.by_kind)
    report.failed_by_kind = dict(transport.failed_by_kind)
    retries = Counter(transport.retries_by_kind)
    retries["submit"] -= report.resubmits  # the driver's re-sends are not the client's retries
    report.retries_by_kind = {k: v for k, v in retries.items() if v > 0}
    report.faulty_answers = sum(n for s, n in transport.statuses.items() if s == 429 or s >= 500)
    report.transport_errors = transport.transport_errors
    report.body_errors = transport.body_errors
    if not check:
        return report
    with httpx.Client(base_url=server_url, timeout=30) as ops:
        counted = ops.get("/_falwidgets/submissions").json()["submissions"]
        mine = [c for c in counted if c["endpoint"].startswith(ENDPOINT)]
        report.submissions_counted = sum(c["count"] for c in mine)
        report.duplicates = sum(c["count"] - 1 for c in mine if c["count"] > 1)
        report.faults = _faults_from_metrics(ops.get("/metrics").text)
    return report


@dataclass
class AppCampaignReport:
    """The campaign through ``app()`` widgets: each run ends done or failed (shown), none stuck."""

    runs: int
    concurrency: int
    faults_spec: str
    widgets: int = 0
    done: int = 0
    failed_by_kind: dict[str, int] = field(default_factory=dict)  # ambiguous / refused / other
    cancelled: int = 0  # nobody presses Cancel here: must stay 0
    stuck: int = 0  # not done within deadline + grace
    wrong: int = 0  # done with an output that is not this run's
    unshown: int = 0  # failed without a banner, or the status line not showing the final state
    run_disabled: int = 0  # Run button still disabled once every run had finished
    submissions_counted: int = 0
    duplicates: int = 0
    http_calls: int = 0
    reconciled: dict[str, int] = field(default_factory=dict)  # the client's (_reconcile)
    faults: dict[str, int] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    build: float = 0.0
    deadline: float = 0.0
    apps: list[Any] = field(default_factory=list, repr=False)

    @property
    def failed(self) -> int:
        return sum(self.failed_by_kind.values())

    def table(self) -> str:
        faults = ", ".join(f"{k} {self.faults.get(k, 0)}" for k in FAULT_KINDS)
        kinds = self.failed_by_kind
        rows = [
            (
                "runs",
                f"{self.runs} on {self.widgets} `app()` widgets (one Run click each), "
                f"at most {self.concurrency} in flight",
            ),
            ("faults injected (server)", f"{sum(self.faults.values())}: {faults}"),
            ("done (correct output shown)", str(self.done)),
            ("wrong outputs", str(self.wrong)),
            (
                "failed, banner shown: ambiguous submit / refused submit / other",
                f"{self.failed}: {kinds.get('ambiguous', 0)} / {kinds.get('refused', 0)} / "
                f"{kinds.get('other', 0)}",
            ),
            (
                "lost submit answers reconciled by the client: found / resubmitted / unresolved",
                f"{self.reconciled.get('ambiguous', 0)}: {self.reconciled.get('found', 0)} / "
                f"{self.reconciled.get('resubmitted', 0)} / {self.reconciled.get('unresolved', 0)}",
            ),
            ("failed without a banner, or status line not final", str(self.unshown)),
            ("cancelled (nobody pressed Cancel)", str(self.cancelled)),
            (
                "stuck (not done within deadline + grace)",
                f"{self.stuck} (deadline {self.deadline:.0f} s)",
            ),
            ("Run button still disabled at the end", str(self.run_disabled)),
            ("submissions counted by server", str(self.submissions_counted)),
            ("server-counted duplicates", str(self.duplicates)),
            (
                "client HTTP calls",
                f"{self.http_calls} ({self.http_calls / max(1, self.runs):.1f}/run)",
            ),
            (
                "latency p50 / p99 / max (click to done)",
                latency_cell(self.latencies),
            ),
            ("wall time (building the widgets)", f"{self.wall:.1f} s ({self.build:.1f} s)"),
        ]
        return markdown_table(rows)


def banner_text(runner: Any) -> str:
    """What the app's error banner shows: its title and detail (empty: no banner)."""
    banner = runner.banner or {}
    if not banner.get("title"):
        return ""
    return " ".join(str(banner.get(k) or "") for k in ("title", "detail"))


def run_disabled(runner: Any) -> bool:
    """Whether the browser draws Run off: a submission being made, a reason, or form errors."""
    return bool(runner.busy or runner.disabled_reason or runner.errors)


async def run_app_campaign(
    server_url: str,
    *,
    runs: int,
    concurrency: int,
    run_deadline: float = 60.0,
    grace: float = 5.0,
    steps: int = 4,
    faults_spec: str = "",
    check: bool = True,
) -> AppCampaignReport:
    """Build ``runs`` ``app()`` widgets on one ``AsyncClient`` and drive each like a user: set
    the form's value, click Run, wait. A semaphore keeps at most ``concurrency`` in flight.

    Nothing is re-sent: a failed run stays failed, and must say so in its banner. Must be awaited
    on a loop in the calling thread (so a click returns at once, as in a notebook).
    """
    import falwidgets

    report = AppCampaignReport(runs, concurrency, faults_spec, deadline=run_deadline)
    transport = CountingTransport()
    from falwidgets.client import reconcile_stats

    reconcile_stats(reset=True)
    client = falwidgets.AsyncClient(base_url=server_url, transport=transport, wait=run_deadline)
    started = time.monotonic()
    apps = [falwidgets.app(ENDPOINT, client=client, timeout=run_deadline) for _ in range(runs)]
    report.build = time.monotonic() - started
    report.widgets = len(apps)
    report.apps = apps
    semaphore = asyncio.Semaphore(concurrency)
    failed: Counter[str] = Counter()

    async def one(job: int, runner: Any) -> None:
        async with semaphore:
            runner.value = {"job": job, "steps": steps}
            clicked = time.monotonic()
            runner.handle_message({"type": "run"}, [])  # the browser's Run message; returns at once
            run = runner.last
            if run is None:
                report.stuck += 1
                report.errors.append(f"run {job}: the click started no run")
                return
            with contextlib.suppress(asyncio.TimeoutError, TimeoutError):  # stuck: see below
                await runner.wait_async(run_deadline + grace)
            if not run.done or (run.finished_at or clicked) - clicked > run_deadline + grace:
                report.stuck += 1
                report.errors.append(f"run {job}: stuck in {run.state!r}")
                return
            if runner.status.get("state") != run.state:
                report.unshown += 1
            if run.state == "done":
                if run.output == {"job": job, "steps_done": steps} and runner.result:
                    report.done += 1
                    report.latencies.append(run.finished_at - clicked)
                else:
                    report.wrong += 1
                    report.errors.append(f"run {job}: wrong output {run.output!r}"[:300])
            elif run.state == "failed":
                error = run.error
                kind = submit_failure(error) if isinstance(error, Exception) else "other"
                failed[kind] += 1
                if error is None or not banner_text(runner):
                    report.unshown += 1
                report.errors.append(
                    f"run {job} failed ({kind}): {banner_text(runner) or error!r}"[:300]
                )
            else:
                report.cancelled += 1

    started = time.monotonic()
    watchdog = (run_deadline + grace) * (runs / concurrency + 1) + 60
    try:
        await asyncio.wait_for(asyncio.gather(*(one(i, a) for i, a in enumerate(apps))), watchdog)
    finally:
        report.wall = time.monotonic() - started
        report.failed_by_kind = dict(failed)
        report.reconciled = reconcile_stats(reset=True)
        report.run_disabled = sum(1 for a in apps if run_disabled(a))
        report.http_calls = transport.calls
    if check:
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
    with serve(port=0, workers=workers, speed=speed, faults=faults) as server, ExitStack() as stack:
        proxy_url = None
        if through_proxy:
            from falwidgets.proxy import serve_proxy

            token = "fwt_campaign_token_01"
            # one token stands for a whole class here: no per-token call cap
            proxy = stack.enter_context(
                serve_proxy(
                    [token], upstream=server.url, key="unused-local-key", calls_per_min=None
                )
            )
            proxy_url = f"{proxy.url}/t/{token}"
        return run_coroutine(
            run_campaign(
                server.url,
                jobs=jobs,
                concurrency=concurrency,
                job_deadline=job_deadline,
                faults_spec=faults,
                proxy_url=proxy_url,
            )
        )


def app_campaign(
    runs: int = 500,
    concurrency: int = 50,
    faults: str = DEFAULT_FAULTS,
    *,
    workers: int = 16,
    speed: float = 1.0,
    run_deadline: float = 60.0,
) -> AppCampaignReport:
    """Start a faulty server, drive ``runs`` app widgets against it, stop it."""
    from falwidgets.server import serve

    register_endpoint()
    with serve(port=0, workers=workers, speed=speed, faults=faults) as server:
        return run_coroutine(
            run_app_campaign(
                server.url,
                runs=runs,
                concurrency=concurrency,
                run_deadline=run_deadline,
                faults_spec=faults,
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
        for line in (report.errors + report.ambiguous_errors)[:10]:
            print("  ", line)
        sections.append(f"### {label}\n\n{report.table()}")
        ok = ok and report.lost == 0 and report.wrong == 0 and report.duplicates == 0
        ok = ok and report.overruns == 0 and report.submissions_counted == report.completed
    apps = app_campaign(args.jobs, args.concurrency, args.faults)
    print(f"## through app() widgets\n{apps.table()}\n")
    for line in apps.errors[:10]:
        print("  ", line)
    sections.append(
        "### through `app()` widgets\n\n"
        "Each run is a user's click on its own widget: value set, a Run message, "
        "wait. Nothing is re-sent: a submit a fault refused ends the run failed with its banner "
        "shown (the direct driver above re-sends those), so done + failed = runs.\n\n"
        + apps.table()
    )
    ok = ok and apps.stuck == 0 and apps.wrong == 0 and apps.unshown == 0 and apps.cancelled == 0
    ok = ok and apps.run_disabled == 0 and apps.duplicates == 0
    ok = ok and apps.done + apps.failed == apps.runs
    if not args.no_write:
        from _results import write_section

        command = "python bench/faults.py " + " ".join(argv if argv is not None else sys.argv[1:])
        body = (
            f"Faults: `{args.faults}`; endpoint `{ENDPOINT}` (4 steps of 30 ms), "
            "16 server workers. Latency is submit to result in hand, per job. Faults hit every "
            "kind of call (submit, status, SSE, result, history lookups); all but "
            "`accepted_drop` are decided before the server's app runs, and `accepted_drop` "
            "enqueues the submit, then drops the connection before the answer. The client "
            "retries status, SSE, result and history calls on any failure, and re-sends a submit "
            "only when the server provably refused it (429, 503 without a request id, connection "
            "refused). A submit whose answer was lost after sending is reconciled by the client "
            "(`client/_reconcile.py`): looked up in the server's request history by endpoint and "
            "input digest and resumed when found; resubmitted only when absence is proven (this "
            "server promises, in a response header, that its listing includes queued requests). "
            "The reconciliation row counts both; a submit refused with a status the client does "
            "not retry is re-sent by the driver and counted. The server's own per-submission "
            "counter equals the jobs: no job was enqueued twice, and none was lost.\n\n"
            + "The machine (2 cores) was shared with other jobs during this run: latencies vary "
            "with their load; the counts are what this table is for.\n\n" + "\n\n".join(sections)
        )
        write_section("faults", command.strip(), body)
    return 0 if ok else 1


if __name__ == "__main__":
    raise SystemExit(main())
