"""Answers lost after the server acted, and stalls under short deadlines (a relay, not --faults).

The relay in ``relay.py`` lets the submit reach the queue and then cuts the answer: the client must
not re-send it (the server's counter stays at one); it finds the request in the server's request
history (``_reconcile``), or with ``on_ambiguous="raise"`` says the submit may have been accepted.
The short-deadline campaign holds connections silent and checks every job ends on time.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from types import ModuleType
from typing import Any

import httpx
import pytest
from relay import Relay

import falwidgets
from loop_helpers import run_coroutine

TOKEN = "fwt_lost_answer_tok1"


def _submissions(server: Any) -> int:
    counted = httpx.get(f"{server.url}/_falwidgets/submissions", timeout=10).json()
    return sum(c["count"] for c in counted["submissions"])


def _cut_first_submit(endpoint: str) -> Any:
    done = threading.Event()

    def plan(method: str, path: str) -> str | None:
        if method == "POST" and path.endswith(endpoint) and not done.is_set():
            done.set()
            return "cut"
        return None

    return plan


def _submit_through(
    route: str, relay: Relay, endpoint: str, arguments: dict, **options: Any
) -> Any:
    """Submit once by ``route``; the handle's request id, or the error raised."""
    if route == "proxy":  # student -> proxy -> (cut) -> server
        from falwidgets.proxy import serve_proxy

        with serve_proxy([TOKEN], upstream=relay.url, key="local") as proxy:
            client = falwidgets.Client(key=TOKEN, proxy_url=proxy.url, journal=False, **options)
            with client:
                try:
                    return client.submit(endpoint, arguments).request_id
                except falwidgets.FalError as error:
                    return error
    if route == "sync":
        with falwidgets.Client(base_url=relay.url, journal=False, **options) as client:
            try:
                return client.submit(endpoint, arguments).request_id
            except falwidgets.FalError as error:
                return error

    async def submit() -> Any:
        async with falwidgets.AsyncClient(base_url=relay.url, journal=False, **options) as client:
            try:
                return (await client.submit(endpoint, arguments)).request_id
            except falwidgets.FalError as error:
                return error

    return run_coroutine(submit())


@pytest.mark.parametrize("route", ["sync", "async", "proxy"])
def test_a_submit_enqueued_then_cut_is_found_in_the_history_not_resent(
    local_server: Any, fault_bench: ModuleType, route: str
) -> None:
    fault_bench.register_endpoint()
    endpoint = fault_bench.ENDPOINT
    arguments = {"job": 7000 + ["sync", "async", "proxy"].index(route), "steps": 1}
    with Relay(local_server.url, _cut_first_submit(endpoint)) as relay:
        before = _submissions(local_server)
        outcome = _submit_through(route, relay, endpoint, arguments)
        after = _submissions(local_server)
        sent = relay.count("POST", endpoint)
    assert isinstance(outcome, str), outcome  # the lost answer was resolved: a request id
    assert sent == 1, relay.actions  # the client did not re-send
    assert after == before + 1  # the server enqueued it exactly once
    listed = httpx.get(
        f"{local_server.url}/v1/models/requests/by-endpoint",
        params={"endpoint_id": endpoint, "request_id": outcome, "expand": "payloads"},
        timeout=10,
    ).json()["items"]
    assert [i["json_input"] for i in listed] == [arguments]  # the very request that was cut


@pytest.mark.parametrize("route", ["sync", "proxy"])
def test_on_ambiguous_raise_keeps_the_old_error(
    local_server: Any, fault_bench: ModuleType, route: str
) -> None:
    fault_bench.register_endpoint()
    endpoint = fault_bench.ENDPOINT
    arguments = {"job": 7100 + ["sync", "proxy"].index(route), "steps": 1}
    with Relay(local_server.url, _cut_first_submit(endpoint)) as relay:
        before = _submissions(local_server)
        caught = _submit_through(route, relay, endpoint, arguments, on_ambiguous="raise")
        after = _submissions(local_server)
        sent = relay.count("POST", endpoint)
    assert sent == 1, relay.actions
    assert after == before + 1
    assert isinstance(caught, falwidgets.AmbiguousSubmit), caught
    assert caught.request_id is None
    assert caught.digest == falwidgets.client._journal.digest(arguments)
    message = str(caught)
    assert "may have" in message and "accepted" in message, message  # ambiguous, and says so


STALL_JOBS = 40
DEADLINE = 3.0
GRACE = 1.5  # scheduling slack on a loaded 2-core machine; a hang would be 30 s (the stall)


def test_short_deadlines_hold_under_stalls(local_server: Any, fault_bench: ModuleType) -> None:
    fault_bench.register_endpoint()
    endpoint = fault_bench.ENDPOINT
    chance = random.Random(6)
    lock = threading.Lock()

    def plan(method: str, path: str) -> str | None:
        with lock:
            roll = chance.random()
        if roll < 0.12:
            return "stall"  # silent before the status line: submit, status, SSE or result
        if roll < 0.2 and method == "GET":
            return "stall_body"  # headers, then silence (a stalled SSE stream or result body)
        return None

    outcomes: list[tuple[float, str | None, BaseException | None]] = []

    async def one(client: falwidgets.AsyncClient, job: int) -> None:
        started = time.monotonic()
        request_id: str | None = None
        try:
            handle = await client.submit(endpoint, {"job": job, "steps": 2}, timeout=DEADLINE)
            request_id = handle.request_id
            left = DEADLINE - (time.monotonic() - started)
            if left <= 0:
                raise falwidgets.DeadlineExceeded("no time left", request_id=request_id)
            result = await handle.result(timeout=left)
            assert result == {"job": job, "steps_done": 2}
            error = None
        except falwidgets.FalError as exc:
            error = exc
        outcomes.append((time.monotonic() - started, request_id, error))

    async def campaign() -> None:
        async with falwidgets.AsyncClient(base_url=relay.url, journal=False) as client:
            await asyncio.wait_for(
                asyncio.gather(*(one(client, 8000 + j) for j in range(STALL_JOBS))), 60
            )

    with Relay(local_server.url, plan, stall_seconds=30) as relay:
        run_coroutine(campaign())
        stalled = sum(1 for _, _, action in relay.actions if action)
    assert len(outcomes) == STALL_JOBS
    assert stalled >= 5, relay.actions  # the stalls really happened
    late = [round(t, 2) for t, _, _ in outcomes if t > DEADLINE + GRACE]
    assert late == [], late
    failed = [(rid, e) for _, rid, e in outcomes if e is not None]
    assert failed, "some jobs hit a stall they could not outlive"
    assert len(failed) < STALL_JOBS, "most jobs still finish"
    for request_id, error in failed:
        assert isinstance(error, falwidgets.DeadlineExceeded), repr(error)
        if request_id is not None:  # the submit answered: the error names the request to resume
            assert error.request_id == request_id, error
            assert "resume" in str(error)
