"""Status following: SSE with only new log lines, cuts, polling fallback, regressions, deadlines."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from client_fakes import async_client, log, sse, submitted

from falwidgets.client import (
    Cancelled,
    Completed,
    DeadlineExceeded,
    InProgress,
    InputRejected,
    Queued,
    RequestFailed,
    journal,
)

STREAM = "/fal-ai/flux/requests/req-1/status/stream"
STATUS = "/fal-ai/flux/requests/req-1/status"
RESULT = "/fal-ai/flux/requests/req-1"
EVENTS = [
    {"status": "IN_QUEUE", "queue_position": 2},
    {"status": "IN_QUEUE", "queue_position": 1},
    {"status": "IN_PROGRESS", "logs": [log(1), log(2)]},
    {"status": "IN_PROGRESS", "logs": [log(3)]},
    {"status": "COMPLETED", "logs": [log(4)], "metrics": {"inference_time": 0.5}},
]


def queue(
    stream: Any, *, polls: list[dict[str, Any]] | None = None, result: httpx.Response | None = None
):
    """A handler: submit, an SSE stream (bytes or a factory), scripted polls, a result."""
    polls = list(polls or [])
    seen_logs: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST":
            return httpx.Response(200, json=submitted())
        if path == STREAM:
            seen_logs.append(request.url.params.get("logs", ""))
            body = stream() if callable(stream) else stream
            if isinstance(body, httpx.Response):
                return body
            return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)
        if path == STATUS:
            seen_logs.append(request.url.params.get("logs", ""))
            state = polls.pop(0) if len(polls) > 1 else polls[0]
            code = 200 if state["status"] == "COMPLETED" else 202
            return httpx.Response(code, json=state)
        if path == RESULT:
            return result or httpx.Response(200, json={"images": [{"url": "http://x/1.png"}]})
        return httpx.Response(404, json={"detail": f"Path {path} not found"})

    handler.seen_logs = seen_logs  # type: ignore[attr-defined]
    return handler


def messages(statuses: list[Any]) -> list[str]:
    return [entry["message"] for s in statuses for entry in getattr(s, "logs", [])]


def test_sse_events_carry_only_new_lines_and_three_requests(mock_client) -> None:
    client, rec = mock_client(queue(sse(*EVENTS)))
    handle = client.submit("fal-ai/flux/dev", {"prompt": "x"})
    statuses = list(handle.events(logs=True))
    assert [type(s) for s in statuses] == [Queued, Queued, InProgress, InProgress, Completed]
    assert [s.position for s in statuses[:2]] == [2, 1]
    assert messages(statuses) == ["line 1", "line 2", "line 3", "line 4"]
    assert statuses[-1].metrics == {"inference_time": 0.5}
    assert handle.result() == {"images": [{"url": "http://x/1.png"}]}
    # submit + one status stream + result: result() reuses the COMPLETED that events() saw
    assert rec.paths() == ["POST /fal-ai/flux/dev", f"GET {STREAM}", f"GET {RESULT}"]


def test_subscribe_costs_three_requests(mock_client) -> None:
    client, rec = mock_client(queue(sse(*EVENTS)))
    updates: list[Any] = []
    out = client.subscribe("fal-ai/flux/dev", {"prompt": "x"}, on_update=updates.append)
    assert out["images"][0]["url"] == "http://x/1.png"
    assert rec.paths() == ["POST /fal-ai/flux/dev", f"GET {STREAM}", f"GET {RESULT}"]
    assert messages(updates) == ["line 1", "line 2", "line 3", "line 4"]


@pytest.mark.parametrize("want", [True, False])
def test_logs_flag_is_sent_as_1_or_0(mock_client, want: bool) -> None:
    handler = queue(b"", polls=[{"status": "COMPLETED", "logs": [log(1)] if want else None}])
    client, _ = mock_client(handler, use_sse=False)
    statuses = list(client.handle("fal-ai/flux", "req-1").events(logs=want))
    assert handler.seen_logs == ["1" if want else "0"]
    assert messages(statuses) == (["line 1"] if want else [])


@pytest.mark.parametrize("want", [True, False])
def test_status_and_status_stream_send_logs_as_1_or_0(mock_client, want: bool) -> None:
    """fal documents ``logs=1``; the query the server receives is what is asserted here."""
    done = {"status": "COMPLETED", "logs": [log(1)] if want else [], "metrics": {}}
    handler = queue(sse(done), polls=[done])
    client, rec = mock_client(handler)
    handle = client.handle("fal-ai/flux", "req-1")
    assert handle.status(logs=want).ok
    assert messages(list(handle.events(logs=want))) == (["line 1"] if want else [])
    expected = "1" if want else "0"
    assert handler.seen_logs == [expected, expected]
    assert [r.url.path for r in rec.requests] == [STATUS, STREAM]


def test_stream_cut_midway_falls_back_to_polling_without_loss(mock_client) -> None:
    def cut() -> httpx.Response:
        def body() -> Iterator[bytes]:
            yield sse(EVENTS[0], EVENTS[2])
            raise httpx.RemoteProtocolError("peer closed connection without sending complete body")

        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    polls = [
        {"status": "IN_PROGRESS", "logs": [log(1), log(2), log(3)]},
        {"status": "IN_PROGRESS", "logs": [log(1), log(2), log(3)]},
        {"status": "COMPLETED", "logs": [log(1), log(2), log(3), log(4)], "metrics": {}},
    ]
    client, rec = mock_client(queue(cut, polls=polls))
    statuses = list(client.handle("fal-ai/flux", "req-1").events(logs=True))
    assert messages(statuses) == ["line 1", "line 2", "line 3", "line 4"]
    assert isinstance(statuses[-1], Completed)
    assert rec.paths().count(f"GET {STREAM}") == 1  # after a cut the handle polls for good
    # the repeated identical poll produced no duplicate update
    assert [type(s).__name__ for s in statuses] == [
        "Queued",
        "InProgress",
        "InProgress",
        "Completed",
    ]


def test_stream_closed_early_and_unavailable_stream(mock_client) -> None:
    polls = [{"status": "COMPLETED", "logs": [log(1), log(2)], "metrics": {}}]
    client, _ = mock_client(queue(sse(EVENTS[2]), polls=polls))  # closes without COMPLETED
    statuses = list(client.handle("fal-ai/flux", "req-1").events())
    assert messages(statuses) == ["line 1", "line 2"]
    gone = httpx.Response(405, json={"detail": "no streams here"})
    client2, rec2 = mock_client(queue(lambda: gone, polls=polls))
    statuses2 = list(client2.handle("fal-ai/flux", "req-1").events())
    assert messages(statuses2) == ["line 1", "line 2"]
    assert rec2.paths()[-1] == f"GET {STATUS}"


def test_in_progress_back_to_in_queue(mock_client) -> None:
    events = [
        {"status": "IN_PROGRESS", "logs": [log(1, "attempt 1")]},
        {"status": "IN_QUEUE", "queue_position": 0},
        {"status": "IN_PROGRESS", "logs": [log(2, "attempt 2")]},
        {"status": "COMPLETED", "logs": [], "metrics": {}},
    ]
    client, _ = mock_client(queue(sse(*events)))
    statuses = list(client.handle("fal-ai/flux", "req-1").events())
    assert [type(s).__name__ for s in statuses] == [
        "InProgress",
        "Queued",
        "InProgress",
        "Completed",
    ]
    assert messages(statuses) == ["attempt 1", "attempt 2"]
    polls = [
        events[0],
        events[1],
        {"status": "IN_PROGRESS", "logs": [log(2, "attempt 2")]},
        events[3],
    ]
    client2, _ = mock_client(queue(b"", polls=polls), use_sse=False)
    statuses2 = list(client2.handle("fal-ai/flux", "req-1").events())
    assert [type(s).__name__ for s in statuses2] == [
        "InProgress",
        "Queued",
        "InProgress",
        "Completed",
    ]
    assert messages(statuses2) == ["attempt 1", "attempt 2"]


def test_failed_request_raises_request_failed_or_validation(mock_client) -> None:
    failed = {
        "status": "COMPLETED",
        "logs": [],
        "error": "CUDA error: out of memory",
        "error_type": "runner_server_error",
    }
    client, _ = mock_client(queue(sse(failed), result=httpx.Response(200, json={})))
    with pytest.raises(RequestFailed, match="out of memory") as info:
        client.subscribe("fal-ai/flux/dev", {})
    assert info.value.request_id == "req-1"
    assert info.value.error_type == "runner_server_error"
    detail = {
        "detail": [
            {
                "loc": ["body", "image_url"],
                "msg": "Could not download the file",
                "type": "file_download_error",
            }
        ]
    }
    invalid = {"status": "COMPLETED", "logs": [], "error": "Invalid status code: 422"}
    client2, _ = mock_client(queue(sse(invalid), result=httpx.Response(422, json=detail)))
    with pytest.raises(InputRejected) as info2:
        client2.subscribe("fal-ai/flux/dev", {})
    assert info2.value.errors[0]["loc"] == ["body", "image_url"]
    assert info2.value.request_id == "req-1"


@pytest.mark.parametrize("status", [500, 503])
def test_a_failed_request_whose_result_is_an_error_status_is_request_failed(
    mock_client, status: int
) -> None:
    """fal answers a failed request's result with the app's status and error body: that is the
    request's outcome (RequestFailed), fetched once, not a server fault to retry."""
    failed = {"status": "COMPLETED", "logs": [], "error": f"Invalid status code: {status}"}
    body = httpx.Response(
        status, json={"detail": "CUDA out of memory"}, headers={"x-fal-error-type": "runner_error"}
    )
    client, rec = mock_client(queue(sse(failed), result=body))
    with pytest.raises(RequestFailed, match="CUDA out of memory") as info:
        client.subscribe("fal-ai/flux/dev", {})
    assert type(info.value) is RequestFailed
    assert info.value.status_code == status and info.value.request_id == "req-1"
    assert info.value.error_type == "runner_error"
    assert rec.paths().count("GET /fal-ai/flux/requests/req-1") == 1


def test_events_alone_journal_a_failed_outcome(mock_client) -> None:
    """A caller that only watches events() (never asks for the result) still leaves the failure
    in the journal, so history does not keep trying to resume it."""
    failed = {"status": "COMPLETED", "logs": [], "error": "boom", "error_type": "runner_error"}
    client, rec = mock_client(queue(sse(failed)))
    handle = client.submit("fal-ai/flux/dev", {})
    assert [type(s).__name__ for s in handle.events()] == ["Completed"]
    entry = journal(limit=1)[0]
    assert (entry.request_id, entry.status, entry.error_type) == ("req-1", "FAILED", "runner_error")
    assert "GET " + RESULT not in rec.paths()


def test_cancelled_request_raises_cancelled(mock_client) -> None:
    done = {
        "status": "COMPLETED",
        "logs": [],
        "error": "Request cancelled",
        "error_type": "client_cancelled",
    }
    client, _ = mock_client(queue(sse(done), result=httpx.Response(400, json={"detail": "x"})))
    with pytest.raises(Cancelled, match="req-1"):
        client.subscribe("fal-ai/flux/dev", {})


@pytest.mark.parametrize(
    ("code", "body", "expected"),
    [
        (202, {"status": "CANCELLATION_REQUESTED"}, "CANCELLATION_REQUESTED"),  # queued/running
        (200, {"status": "OK"}, "OK"),
        (400, {"status": "ALREADY_COMPLETED"}, "ALREADY_COMPLETED"),  # completed
    ],
)
def test_cancel_answers(mock_client, code, body, expected) -> None:
    client, rec = mock_client(lambda r: httpx.Response(code, json=body))
    assert client.handle("fal-ai/flux/dev", "req-1").cancel() == expected
    assert rec.paths() == ["PUT /fal-ai/flux/requests/req-1/cancel"]


def test_deadline_carries_request_id(mock_client) -> None:
    def slow_stream() -> httpx.Response:
        def body() -> Iterator[bytes]:
            yield sse({"status": "IN_QUEUE", "queue_position": 5})
            raise httpx.ReadTimeout("timed out")

        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body())

    client, _ = mock_client(queue(slow_stream, polls=[{"status": "IN_QUEUE", "queue_position": 5}]))
    with pytest.raises(DeadlineExceeded) as info:
        client.subscribe("fal-ai/flux/dev", {}, timeout=0.4)
    assert info.value.request_id == "req-1"
    assert "client.resume('req-1')" in str(info.value)


def test_async_events_and_on_update_callbacks() -> None:
    async def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json=submitted())
        if request.url.path == STREAM:

            async def body() -> AsyncIterator[bytes]:
                yield sse(*EVENTS[:3])
                raise httpx.ReadError("cut")

            return httpx.Response(
                200, headers={"content-type": "text/event-stream"}, content=body()
            )
        if request.url.path == STATUS:
            return httpx.Response(
                200,
                json={
                    "status": "COMPLETED",
                    "metrics": {},
                    "logs": [log(1), log(2), log(3), log(4)],
                },
            )
        return httpx.Response(200, json={"ok": True})

    async def main() -> tuple[list[Any], list[Any], Any]:
        sync_seen: list[Any] = []
        async_seen: list[Any] = []

        async def async_update(status: Any) -> None:
            await asyncio.sleep(0)
            async_seen.append(status)

        async with async_client(handler) as client:
            handle = await client.submit("fal-ai/flux/dev", {})
            collected = [s async for s in handle.events()]
            assert messages(collected) == ["line 1", "line 2", "line 3", "line 4"]
            assert handle.logs == collected[2].logs + collected[3].logs
            out = await client.subscribe("fal-ai/flux/dev", {}, on_update=sync_seen.append)
            await client.subscribe("fal-ai/flux/dev", {}, on_update=async_update)
        return sync_seen, async_seen, out

    sync_seen, async_seen, out = asyncio.run(main())
    assert out == {"ok": True}
    assert messages(sync_seen) == messages(async_seen) == ["line 1", "line 2", "line 3", "line 4"]
    assert isinstance(sync_seen[-1], Completed)
