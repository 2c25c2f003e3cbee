"""Regressions found by the code review (issue 10): each failed before its fix.

- SSE lines split only on CR, LF and CRLF: a raw U+2028/U+2029/U+0085 inside an event (JSON from
  ``orjson`` or ``ensure_ascii=False``) is data, not a line break.
- Whether a failed request was cancelled is decided by the protocol (``error_type``), never by
  the words of its error message.
"""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest
from client_fakes import async_client, submitted

from falwidgets.client import Cancelled, InProgress, RequestFailed, journal
from loop_helpers import run_coroutine

STREAM = "/fal-ai/flux/requests/req-1/status/stream"
STATUS = "/fal-ai/flux/requests/req-1/status"
RESULT = "/fal-ai/flux/requests/req-1"
SEPARATORS = ["\u2028", "\u2029", "\x85"]


def _raw_sse(*events: dict[str, Any]) -> bytes:
    """SSE whose JSON keeps non-ASCII characters raw (as orjson and ``ensure_ascii=False`` do)."""
    return "".join(f"data: {json.dumps(e, ensure_ascii=False)}\n\n" for e in events).encode()


def _event_stream(body: bytes) -> httpx.Response:
    return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)


def _queue(events: list[dict[str, Any]], result: httpx.Response | None = None):
    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        if request.method == "POST":
            return httpx.Response(200, json=submitted())
        if path == STREAM:
            return _event_stream(_raw_sse(*events))
        if path == STATUS:  # a poll carries no logs: only the stream can deliver the line
            return httpx.Response(200, json={"status": "COMPLETED", "logs": None})
        if path == RESULT:
            return result or httpx.Response(200, json={"ok": True})
        return httpx.Response(404, json={"detail": f"{path} not found"})

    return handler


def _log_events(separator: str) -> tuple[str, list[dict[str, Any]]]:
    text = f"step 1{separator}of 2"
    log = {"message": text, "level": "INFO", "timestamp": "2026-01-01T00:00:01Z"}
    return text, [
        {"status": "IN_PROGRESS", "logs": [log]},
        {"status": "COMPLETED", "logs": [], "metrics": {}},
    ]


@pytest.mark.parametrize("separator", SEPARATORS)
def test_stream_partial_with_a_unicode_separator_is_one_event(mock_client, separator) -> None:
    partial = {"text": f"partial{separator}text"}
    client, rec = mock_client(lambda r: _event_stream(_raw_sse(partial, {"text": "done"})))
    assert list(client.stream("fal-ai/flux", {})) == [partial, {"text": "done"}]
    assert len(rec.requests) == 1


@pytest.mark.parametrize("separator", SEPARATORS)
def test_subscribe_stays_on_sse_and_delivers_a_log_line_with_a_separator(
    mock_client, separator
) -> None:
    text, events = _log_events(separator)
    client, rec = mock_client(_queue(events))
    updates: list[Any] = []
    assert client.subscribe("fal-ai/flux", {}, on_update=updates.append, logs=True) == {"ok": True}
    assert [entry["message"] for u in updates for entry in u.logs] == [text]
    assert isinstance(updates[0], InProgress)
    # submit + one status stream + result: no fallback to polling
    assert rec.paths() == ["POST /fal-ai/flux", f"GET {STREAM}", f"GET {RESULT}"]


@pytest.mark.parametrize("separator", SEPARATORS)
def test_async_stream_and_subscribe_keep_a_separator_inside_events(separator) -> None:
    text, events = _log_events(separator)
    partial = {"text": f"partial{separator}text"}
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path}")
        if request.url.path == "/run/fal-ai/flux/stream":
            return _event_stream(_raw_sse(partial))
        return _queue(events)(request)

    async def main() -> tuple[list[Any], list[Any]]:
        async with async_client(handler) as client:
            items = [item async for item in client.stream("fal-ai/flux", {})]
            updates: list[Any] = []
            await client.subscribe("fal-ai/flux", {}, on_update=updates.append, logs=True)
            return items, updates

    items, updates = run_coroutine(main())
    assert items == [partial]
    assert [entry["message"] for u in updates for entry in u.logs] == [text]
    assert f"GET {STATUS}" not in seen


def _failed(error: str, error_type: str | None) -> list[dict[str, Any]]:
    return [
        {"status": "COMPLETED", "logs": [], "error": error, "error_type": error_type},
    ]


@pytest.mark.parametrize("error_type", ["runner_error", None])
def test_a_failure_that_mentions_cancel_is_request_failed(mock_client, error_type) -> None:
    message = "worker crashed: job not cancelled, retries exhausted"
    body = httpx.Response(500, json={"detail": message})
    client, _ = mock_client(_queue(_failed(message, error_type), result=body))
    with pytest.raises(RequestFailed) as info:
        client.subscribe("fal-ai/flux", {})
    assert not isinstance(info.value, Cancelled)
    entry = journal(limit=1)[0]
    assert (entry.request_id, entry.status) == ("req-1", "FAILED")


def test_events_alone_journal_a_cancel_worded_failure_as_failed(mock_client) -> None:
    message = "the upstream cancelled nothing; it crashed"
    client, _ = mock_client(_queue(_failed(message, "runner_error")))
    handle = client.submit("fal-ai/flux", {})
    assert [type(s).__name__ for s in handle.events()] == ["Completed"]
    assert journal(limit=1)[0].status == "FAILED"


def test_a_cancelled_error_type_is_still_cancelled(mock_client) -> None:
    body = httpx.Response(400, json={"detail": "Request cancelled"})
    client, _ = mock_client(_queue(_failed("Request cancelled", "client_cancelled"), result=body))
    with pytest.raises(Cancelled):
        client.subscribe("fal-ai/flux", {})
    assert journal(limit=1)[0].status == "CANCELLED"


def test_a_result_error_type_mentioning_cancel_in_its_text_only_is_not_cancelled(
    mock_client,
) -> None:
    """An error response whose ``error_type`` is not fal's cancel type is not ``Cancelled``."""
    body = httpx.Response(
        500,
        json={"detail": "cancelled by nobody", "error_type": "runner_error"},
    )
    client, _ = mock_client(_queue(_failed("cancellation failed", "runner_error"), result=body))
    with pytest.raises(RequestFailed) as info:
        client.subscribe("fal-ai/flux", {})
    assert not isinstance(info.value, Cancelled)
