"""Audit fixes: redaction in one place, journal failures, cancel and the journal, endpoint ids,
deep arguments, proxy tokens, the public journal API, retries (MockTransport + real servers)."""

from __future__ import annotations

import email.utils
import json
import logging
import sqlite3
import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from client_fakes import BASE, RetryPolicy, log, sse, submitted

from falwidgets.client import (
    AsyncClient,
    Cancelled,
    Client,
    FalError,
    InputRejected,
    RequestFailed,
    ServerError,
    journal,
    mark_journal,
)
from falwidgets.client._journal import Journal

SECRET = "kid-777:the-very-secret-half"
HALF = "the-very-secret-half"
STREAM = "/fal-ai/flux/requests/req-1/status/stream"
EVENT_STREAM = {"content-type": "text/event-stream"}
RESULT = "/fal-ai/flux/requests/req-1"


def _leaks(error: FalError) -> list[str]:
    """Every place an error could show the key."""
    places = [str(error), repr(error.args), json.dumps(error.detail, default=str)]
    places += [json.dumps(getattr(error, "errors", None), default=str)]
    return [p for p in places if SECRET in p or HALF in p]


def _echo_status(kind: str):
    def handler(request: httpx.Request) -> httpx.Response:
        key = request.headers["authorization"]
        if request.method == "POST":
            return httpx.Response(200, json=submitted())
        if request.url.path == STREAM:
            done = {
                "status": "COMPLETED",
                "logs": [log(1, f"runner saw {key}")],
                "error": f"{kind} while using {key}",
                "error_type": "client_cancelled" if kind == "cancelled" else "runner_error",
            }
            return httpx.Response(200, headers=EVENT_STREAM, content=sse(done))
        return httpx.Response(200, json={})

    return handler


@pytest.mark.parametrize(("kind", "cls"), [("failed", RequestFailed), ("cancelled", Cancelled)])
def test_status_errors_are_redacted(mock_client, kind: str, cls: type) -> None:
    client, _ = mock_client(_echo_status(kind), key=SECRET)
    seen: list[Any] = []
    with pytest.raises(cls) as info:
        client.subscribe("fal-ai/flux/dev", {}, on_update=seen.append)
    assert not _leaks(info.value) and "***" in str(info.value)
    assert info.value.request_id == "req-1"
    # statuses handed to callbacks (and so to widgets) are clean too
    assert SECRET not in repr(seen) and HALF not in repr(seen)
    entry = journal(limit=1)[0]
    assert SECRET not in (entry.error or "") and HALF not in (entry.error or "")


def test_validation_detail_input_and_msg_are_redacted(mock_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        key = request.headers["authorization"]
        detail = [
            {
                "loc": ["body", "token"],
                "msg": f"bad value {key}",
                "type": "value_error",
                "input": key,
            }
        ]
        return httpx.Response(422, json={"detail": detail})

    client, _ = mock_client(handler, key=SECRET)
    with pytest.raises(InputRejected) as info:
        client.submit("fal-ai/flux/dev", {"token": "x"})
    assert not _leaks(info.value)
    assert info.value.errors[0]["input"] == "Key ***" and "***" in info.value.errors[0]["msg"]
    assert info.value.detail[0]["input"] == "Key ***"


def test_stream_error_events_are_redacted(mock_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        key = request.headers["authorization"]
        body = f"event: error\ndata: {json.dumps({'error': 'denied ' + key})}\n\n".encode()
        return httpx.Response(200, headers={"content-type": "text/event-stream"}, content=body)

    client, _ = mock_client(handler, key=SECRET)
    with pytest.raises(ServerError) as info:
        list(client.stream("fal-ai/flux/dev", {}))
    assert not _leaks(info.value) and "denied" in str(info.value)


def test_error_constructor_redacts_every_registered_key() -> None:
    Client(key=SECRET, base_url=BASE, journal=False).close()
    error = FalError(f"x {SECRET} y {HALF}", detail={"k": [SECRET]})
    assert str(error) == "x *** y ***" and error.detail == {"k": ["***"]}


class _BrokenJournal(Journal):
    """A journal whose file cannot be opened (a full or read-only disk)."""

    def _open_connection(self) -> sqlite3.Connection:
        raise sqlite3.OperationalError("disk I/O error")


def test_journal_failure_after_submit_keeps_the_request(
    mock_client, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    handler = _echo_status("ok")

    def ok(request: httpx.Request) -> httpx.Response:
        if request.url.path == STREAM:
            done = {"status": "COMPLETED", "logs": [], "metrics": {}}
            return httpx.Response(200, headers=EVENT_STREAM, content=sse(done))
        if request.url.path == RESULT:
            return httpx.Response(200, json={"images": []})
        return handler(request)

    broken = _BrokenJournal(tmp_path / "j.sqlite3")
    client, _ = mock_client(ok, key="k", journal=broken)
    with caplog.at_level(logging.WARNING, logger="falwidgets.client"):
        handle = client.submit("fal-ai/flux/dev", {})
        assert handle.request_id == "req-1"
        assert handle.result(timeout=5) == {"images": []}  # a failed final write loses nothing
        broken.flush()  # the final state is written behind the call
    warned = [r.getMessage() for r in caplog.records]
    assert any("req-1" in m and "submit" in m and "disk I/O error" in m for m in warned)
    assert any("req-1" in m and "final state" in m and "disk I/O error" in m for m in warned)


def test_cancel_keeps_the_entry_until_a_final_status(mock_client) -> None:
    """CANCELLATION_REQUESTED is not final: a running job that completes anyway stays
    recoverable, and its result is journalled as COMPLETED."""
    outcome = {"status": "COMPLETED", "logs": [], "metrics": {}}

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return httpx.Response(200, json=submitted())
        if request.method == "PUT":
            return httpx.Response(202, json={"status": "CANCELLATION_REQUESTED"})
        if request.url.path == STREAM:
            return httpx.Response(200, headers=EVENT_STREAM, content=sse(outcome))
        return httpx.Response(200, json={"ok": True})

    client, _ = mock_client(handler)
    handle = client.submit("fal-ai/flux/dev", {})
    assert handle.cancel() == "CANCELLATION_REQUESTED"
    assert journal(limit=1)[0].status == "SUBMITTED"
    assert [e.request_id for e in journal(status="SUBMITTED")] == ["req-1"]
    assert handle.result(timeout=5) == {"ok": True}
    assert journal(limit=1)[0].status == "COMPLETED"


@pytest.mark.parametrize(
    ("endpoint", "needle"),
    [
        ("../../x", "relative segment"),
        ("fal-ai/../flux", "relative segment"),
        ("fal-ai//flux", "empty segment"),
        ("fal-ai/flux dev", "characters"),
        ("fal-ai/flux?x=1", "characters"),
        ("", "must be a string"),
        ("badid", "owner/app"),
    ],
)
def test_bad_endpoint_ids_fail_before_any_request(mock_client, endpoint: str, needle: str) -> None:
    client, rec = mock_client(lambda r: httpx.Response(200, json=submitted()))
    with pytest.raises(ValueError, match=needle):
        client.submit(endpoint, {})
    with pytest.raises(ValueError, match=needle):
        client.stream(endpoint, {})  # at the call, not at the first next()
    assert rec.requests == []


def test_workflow_ids_keep_their_path_for_submit_and_drop_it_for_status(mock_client) -> None:
    """``workflows/<owner>/<app>/<path>``: submit goes to the full id, status to the app only."""
    client, rec = mock_client(lambda r: httpx.Response(200, json={"status": "COMPLETED"}))
    client.handle("workflows/me/wf/extra", "r1").status()
    assert rec.paths() == ["GET /workflows/me/wf/requests/r1/status"]
    assert client.handle("workflows/me/wf/extra", "r1").endpoint == "workflows/me/wf/extra"


def test_one_parser_for_client_and_server() -> None:
    from falwidgets._endpoint_id import parse_endpoint

    eid = parse_endpoint("workflows/me/wf/extra")
    assert (eid.app_id, eid.full) == ("workflows/me/wf", "workflows/me/wf/extra")


def test_arguments_nested_too_deep_get_a_clear_error(mock_client) -> None:
    client, rec = mock_client(lambda r: httpx.Response(200, json=submitted()))
    deep: dict[str, Any] = {}
    node = deep
    for _ in range(5000):
        node["x"] = {}
        node = node["x"]
    with pytest.raises(ValueError, match="nest deeper than 200 levels"):
        client.submit("fal-ai/flux/dev", deep)
    loop: list[Any] = []
    loop.append(loop)
    with pytest.raises(ValueError, match="contain themselves"):
        client.run("fal-ai/flux/dev", {"a": loop})
    assert rec.requests == []
    fine = {"a": [[{"b": [1, 2, {"c": "d"}]}]]}
    assert client.submit("fal-ai/flux/dev", fine).request_id == "req-1"


def test_explicit_key_in_proxy_mode_is_the_proxy_token(monkeypatch, mock_client) -> None:
    monkeypatch.setenv("FAL_KEY", SECRET)
    got: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        got.append(request)
        return httpx.Response(200, json=submitted())

    student, _ = mock_client(handler, base_url=None, key="tok-student-1", proxy_url="http://p/x")
    student.submit("fal-ai/flux/dev", {})
    anonymous, _ = mock_client(handler, base_url=None, proxy_url="http://p/x")
    anonymous.submit("fal-ai/flux/dev", {})
    assert got[0].headers["authorization"] == "Key tok-student-1"
    assert "authorization" not in got[1].headers  # the environment's key never goes to a proxy


def test_reprs_hide_tokens_in_urls() -> None:
    token = "tok-in-the-path-123456"
    url = f"http://proxy.example/api/t/{token}"
    for make in (Client, AsyncClient):
        client = make(proxy_url=url, journal=False)
        assert token not in repr(client) and "/t/***" in repr(client)
    plain = Client(base_url=f"http://user:{token}@host.example", journal=False)
    handle = plain.handle("fal-ai/flux", "r-1")
    for text in (repr(plain), repr(handle), repr(handle.ref)):
        assert token not in text
    assert token not in str(FalError(f"could not reach {url}"))
    plain.close()


def test_workshop_proxy_accepts_the_client_token(local_server: Any) -> None:
    """End to end: the real proxy in front of the local server, the token as ``key=``."""
    from falwidgets.proxy import serve_proxy

    with serve_proxy(["tok-workshop-abcdef"], upstream=local_server.url, key="real-fal-key") as px:
        with Client(key="tok-workshop-abcdef", proxy_url=px.url, journal=False) as client:
            out = client.subscribe("fal-ai/flux-realism", {"prompt": "via proxy"}, timeout=60)
        assert out["prompt"] == "via proxy"
        stranger = Client(key="tok-unknown-000000", proxy_url=px.url, journal=False)
        with stranger, pytest.raises(FalError, match="unknown workshop token"):
            stranger.submit("fal-ai/flux-realism", {"prompt": "x"})


def test_mark_journal_public_api(mock_client) -> None:
    client, _ = mock_client(lambda r: httpx.Response(200, json=submitted()))
    client.submit("fal-ai/flux/dev", {})
    mark_journal("req-1", "FAILED", error="server gone", error_type="server_gone")
    entry = journal(limit=1)[0]
    assert (entry.status, entry.error, entry.error_type) == ("FAILED", "server gone", "server_gone")
    assert entry.done and journal(status="SUBMITTED") == []
    with pytest.raises(ValueError, match="status must be one of"):
        mark_journal("req-1", "DONE")
    import falwidgets

    assert falwidgets.mark_journal is mark_journal


def _http_date(seconds_ahead: float) -> str:
    return email.utils.formatdate(time.time() + seconds_ahead, usegmt=True)


@pytest.mark.parametrize("code", [408, 429, 502, 503, 504])
@pytest.mark.parametrize("retry_after", ["seconds", "date"])
@pytest.mark.parametrize("op", ["status", "result", "cancel"])
def test_idempotent_calls_retry_and_honour_retry_after(
    mock_client, code: int, retry_after: str, op: str
) -> None:
    # "0.2" seconds, or an HTTP date 30 s ahead capped by max_retry_after=0.2: either way the
    # second attempt comes >= 0.2 s later, where plain backoff (base 0.01 s) would be ~10 ms.
    header = "0.2" if retry_after == "seconds" else _http_date(30)
    answers = {
        "status": httpx.Response(200, json={"status": "COMPLETED", "logs": []}),
        "result": httpx.Response(200, json={"ok": 1}),
        "cancel": httpx.Response(202, json={"status": "CANCELLATION_REQUESTED"}),
    }
    times: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        times.append(time.monotonic())
        if len(times) == 1:
            return httpx.Response(code, headers={"retry-after": header}, json={"detail": "busy"})
        return answers[op]

    policy = RetryPolicy(max_attempts=3, base=0.01, max_delay=0.05, max_retry_after=0.2)
    client, rec = mock_client(handler, retry=policy, use_sse=False)
    handle = client.handle("fal-ai/flux", "req-1")
    if op == "status":
        assert handle.status().ok
    elif op == "result":
        from falwidgets.client import Completed

        handle.last_status = Completed()
        assert handle.result(timeout=5) == {"ok": 1}
    else:
        assert handle.cancel() == "CANCELLATION_REQUESTED"
    assert len(rec.requests) == 2
    assert 0.19 <= times[1] - times[0] < 1.0


@pytest.mark.parametrize("code", [408, 500, 502, 504])
def test_submit_is_not_retried_after_an_ambiguous_answer(mock_client, code: int) -> None:
    client, rec = mock_client(
        lambda r: httpx.Response(code, headers={"retry-after": "0"}, json={"detail": "hmm"})
    )
    with pytest.raises(FalError) as info:
        client.submit("fal-ai/flux/dev", {})
    assert info.value.status_code == code
    # it may have been enqueued: never two submissions (GETs: request-history lookups)
    assert [r.method for r in rec.requests].count("POST") == 1
    (entry,) = journal()
    assert entry.request_id == info.value.journal_id and entry.status_url == ""
    if code in (502, 504):  # a gateway lost the answer: journalled AMBIGUOUS for recovery
        assert entry.status == "AMBIGUOUS" and entry.request_id.startswith("ambiguous-")
    else:  # the app's own answer: the attempt is in the history as FAILED, under a local id
        assert entry.status == "FAILED" and entry.request_id.startswith("local-")


def test_every_error_is_a_fal_error_with_a_request_id() -> None:
    from falwidgets import client as module

    names = [
        "AuthError",
        "Cancelled",
        "DeadlineExceeded",
        "MissingCredentials",
        "NotFound",
        "RateLimited",
        "RequestFailed",
        "ServerError",
        "InputRejected",
    ]
    for name in names:
        cls = getattr(module, name)
        assert issubclass(cls, FalError), name
        kwargs: dict[str, Any] = {"errors": []} if cls is InputRejected else {}
        assert cls("m", request_id="r-9", **kwargs).request_id == "r-9"
