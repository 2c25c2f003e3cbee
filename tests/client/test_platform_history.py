"""``client.requests(...)`` against the local server's ``/v1/models/requests/by-endpoint``.

Runs are submitted by raw HTTP (the journal never sees them), then found through the client with
inputs and outputs; fal's filters, paging and error shape are checked on the wire.
"""

from __future__ import annotations

import base64
import time
from datetime import datetime, timedelta, timezone
from typing import Any

import httpx
import pytest

import falwidgets
from falwidgets._platform_wire import LISTS_IN_FLIGHT, REQUESTS_PATH
from falwidgets.server import endpoint, endpoints

ENDPOINT = "tests/history-echo"


def _register() -> None:
    from pydantic import BaseModel

    class EchoIn(BaseModel):
        n: int
        fail: bool = False

    class EchoOut(BaseModel):
        doubled: int

    if ENDPOINT in endpoints():
        return

    @endpoint(ENDPOINT, input=EchoIn, output=EchoOut)
    def echo(inp: EchoIn) -> EchoOut:
        if inp.fail:
            raise RuntimeError("asked to fail")
        return EchoOut(doubled=inp.n * 2)


def _raw_runs(server: Any, inputs: list[dict[str, Any]]) -> list[str]:
    """Submit by raw HTTP and wait for each to finish; the request ids."""
    ids = []
    with httpx.Client(base_url=server.url, timeout=10) as http:
        for value in inputs:
            ids.append(http.post(f"/{ENDPOINT}", json=value).json()["request_id"])
        deadline = time.monotonic() + 20
        for rid in ids:
            while http.get(f"/tests/history-echo/requests/{rid}/status").json()["status"] != (
                "COMPLETED"
            ):
                assert time.monotonic() < deadline, f"request {rid} did not finish"
                time.sleep(0.02)
    return ids


def test_requests_lists_raw_http_runs_with_payloads(local_server: Any) -> None:
    _register()
    marker = int(time.time() * 1000) % 1_000_000
    ids = _raw_runs(local_server, [{"n": marker + i} for i in range(3)])
    assert falwidgets.client.journal() == []  # the journal never saw them
    with falwidgets.Client(base_url=local_server.url) as client:
        records = {r.request_id: r for r in client.requests(ENDPOINT, payloads=True)}
        bare = {r.request_id: r for r in client.requests(ENDPOINT)}
    for i, rid in enumerate(ids):
        record = records[rid]
        assert record.endpoint_id == ENDPOINT
        assert record.json_input == {"n": marker + i}
        assert record.json_output == {"doubled": 2 * (marker + i)}
        assert record.status_code == 200 and record.ok and record.done
        assert record.sent_at <= record.started_at <= record.ended_at
        assert record.duration is not None and record.duration >= 0
        assert bare[rid].json_input is None and not bare[rid].has_payloads


def test_status_filter_request_id_and_time_window(local_server: Any) -> None:
    _register()
    ok_id, bad_id = _raw_runs(local_server, [{"n": 5}, {"n": 6, "fail": True}])
    with falwidgets.Client(base_url=local_server.url) as client:
        errors = [r.request_id for r in client.requests(ENDPOINT, status="error")]
        successes = [r.request_id for r in client.requests(ENDPOINT, status="success")]
        assert bad_id in errors and ok_id not in errors
        assert ok_id in successes and bad_id not in successes
        one = list(client.requests(ENDPOINT, request_id=bad_id, payloads=True))
        assert [r.request_id for r in one] == [bad_id]
        assert one[0].status_code == 500 and not one[0].ok
        future = datetime.now(timezone.utc) + timedelta(hours=1)
        assert list(client.requests(ENDPOINT, since=future)) == []
        assert ok_id in [r.request_id for r in client.requests(ENDPOINT, since=timedelta(hours=1))]
        with pytest.raises(ValueError, match="status must be one of"):
            client.requests(ENDPOINT, status="weird")
        with pytest.raises(ValueError, match="ISO 8601"):
            client.requests(ENDPOINT, since="yesterday-ish")


def test_paging_follows_fal_cursors(local_server: Any) -> None:
    _register()
    ids = _raw_runs(local_server, [{"n": 900 + i} for i in range(7)])
    url = f"{local_server.url}{REQUESTS_PATH}"
    first = httpx.get(url, params={"endpoint_id": ENDPOINT, "limit": "3"}, timeout=10)
    body = first.json()
    assert first.headers[LISTS_IN_FLIGHT] == "complete"
    assert len(body["items"]) == 3 and body["has_more"] is True
    assert base64.b64decode(body["next_cursor"]).decode() == "1"  # fal: "encodes the page number"
    seen: list[str] = []
    cursor = None
    while True:
        params = {"endpoint_id": ENDPOINT, "limit": "3", **({"cursor": cursor} if cursor else {})}
        page = httpx.get(url, params=params, timeout=10).json()
        seen += [i["request_id"] for i in page["items"]]
        if not page["has_more"]:
            assert page["next_cursor"] is None
            break
        cursor = page["next_cursor"]
    assert len(seen) == len(set(seen))  # no page repeats an item
    assert set(ids) <= set(seen)
    ended = [
        i["ended_at"]
        for i in httpx.get(url, params={"endpoint_id": ENDPOINT}, timeout=10).json()["items"]
    ]
    assert ended == sorted(ended, reverse=True)  # newest first (sort_by=ended_at)


@pytest.mark.parametrize(
    ("params", "needle"),
    [
        ({}, "endpoint_id is required"),
        ({"endpoint_id": ENDPOINT, "limit": "101"}, "limit must be"),
        ({"endpoint_id": ENDPOINT, "status": "ok"}, "status must be"),
        ({"endpoint_id": ENDPOINT, "cursor": "%%%"}, "not a cursor"),
        ({"endpoint_id": ENDPOINT, "start": "soon"}, "ISO 8601"),
        ({"endpoint_id": ENDPOINT, "request_id": "abc"}, "UUID"),
        ({"endpoint_id": ENDPOINT, "expand": "billing"}, "expand"),
        ({"endpoint_id": ",".join(f"a/b{i}" for i in range(51))}, "at most 50"),
    ],
)
def test_bad_queries_get_fal_validation_errors(
    local_server: Any, params: dict[str, str], needle: str
) -> None:
    answer = httpx.get(f"{local_server.url}{REQUESTS_PATH}", params=params, timeout=10)
    assert answer.status_code == 400
    error = answer.json()["error"]
    assert error["type"] == "validation_error" and needle in error["message"], error


def test_client_maps_platform_errors(local_server: Any) -> None:
    with falwidgets.Client(base_url=local_server.url) as client:
        records = client.requests(ENDPOINT, request_id="not-a-uuid")
        with pytest.raises(falwidgets.FalError) as caught:
            list(records)
    assert caught.value.status_code == 400 and caught.value.error_type == "validation_error"


def test_queued_requests_are_listed_before_they_end(local_server: Any) -> None:
    """The promise behind LISTS_IN_FLIGHT: a request is listed from the moment it is accepted."""
    from pydantic import BaseModel

    slow = "tests/history-slow"
    if slow not in endpoints():

        class SlowIn(BaseModel):
            steps: int = 30

        @endpoint(slow, input=SlowIn)
        def wait(inp: SlowIn, ctx: Any) -> dict[str, int]:
            for _ in ctx.steps(inp.steps):
                pass
            return {"ok": 1}

    with httpx.Client(base_url=local_server.url, timeout=10) as http:
        rid = http.post(f"/{slow}", json={"steps": 200}).json()["request_id"]
        try:
            listed = http.get(
                REQUESTS_PATH, params={"endpoint_id": slow, "request_id": rid}
            ).json()["items"]
            assert [i["request_id"] for i in listed] == [rid]
            assert listed[0]["ended_at"] is None and listed[0]["status_code"] is None
        finally:
            http.put(f"/tests/history-slow/requests/{rid}/cancel")
