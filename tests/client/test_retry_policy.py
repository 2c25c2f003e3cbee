"""The retry policy of ``_retry``/``_ops.send``: backoff with jitter and a cap, Retry-After, which
transport errors are retried on idempotent calls, and when a submit/run may be re-sent."""

from __future__ import annotations

import asyncio
import email.utils
import random
import socket
import socketserver
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from client_fakes import BASE, FAST, async_client, submitted

from falwidgets.client import (
    AmbiguousSubmit,
    Client,
    DeadlineExceeded,
    FalError,
    RetryPolicy,
    ServerError,
    _retry,
    journal,
)

POLICY = RetryPolicy(max_attempts=6, base=0.2, max_delay=8.0, max_retry_after=60.0)
SUBMIT = "/fal-ai/flux/dev"
RESULT = "/fal-ai/flux/requests/req-1"


def _bounds(policy: RetryPolicy, attempt: int) -> tuple[float, float]:
    """The documented window: ``base * 2**(attempt-1)`` jittered by [0.5, 1.5], capped."""
    raw = policy.base * 2.0 ** min(attempt - 1, 1000)  # 2.0**1000 is already far past any cap
    return 0.5 * min(raw, policy.max_delay), min(1.5 * raw, policy.max_delay)


def _answer(headers: dict[str, str] | None = None) -> httpx.Response:
    return httpx.Response(503, headers=headers or {}, json={"detail": "busy"})


def _http_date(seconds_ahead: float) -> str:
    return email.utils.formatdate(time.time() + seconds_ahead, usegmt=True)


# -- (a) RetryPolicy.delay ---------------------------------------------------------------------


def test_delay_is_jittered_for_the_same_attempt(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_retry, "random", random.Random(1234))
    for attempt in (1, 3, 6, 20):  # 20: the backoff is capped, the jitter still spreads retries
        delays = [POLICY.delay(attempt) for _ in range(20)]
        assert len(set(delays)) > 10, (attempt, delays)
        low, high = _bounds(POLICY, attempt)
        assert all(low <= d <= high for d in delays), (attempt, low, high, delays)


def test_delay_jitter_factor_is_drawn_from_half_to_one_and_a_half(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    asked: list[tuple[float, float]] = []
    factor = [0.5]

    def uniform(a: float, b: float) -> float:
        asked.append((a, b))
        return factor[0]

    monkeypatch.setattr(_retry.random, "uniform", uniform)
    for attempt in range(1, 12):
        raw = POLICY.base * 2 ** (attempt - 1)
        factor[0] = 0.5
        assert POLICY.delay(attempt) == pytest.approx(0.5 * min(raw, POLICY.max_delay))
        factor[0] = 1.5
        assert POLICY.delay(attempt) == pytest.approx(min(1.5 * raw, POLICY.max_delay))
        factor[0] = 1.0
        assert POLICY.delay(attempt) == pytest.approx(min(raw, POLICY.max_delay))
    assert set(asked) == {(0.5, 1.5)}


def test_delay_stays_in_the_window_and_under_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(_retry, "random", random.Random(99))
    for policy in (POLICY, FAST, RetryPolicy(base=1.0, max_delay=3.0)):
        for attempt in [*range(1, 80), 200, 1000, 1024]:
            for _ in range(5):
                delay = policy.delay(attempt)
                low, high = _bounds(policy, attempt)
                assert low <= delay <= high <= policy.max_delay, (policy, attempt, delay)


@pytest.mark.parametrize("attempt", [1025, 5000, 10**6])
def test_delay_for_huge_attempt_numbers_is_still_capped(attempt: int) -> None:
    # regression: base * 2 ** (attempt - 1) raised OverflowError from attempt 1025 on
    delay = POLICY.delay(attempt)
    assert 0.5 * POLICY.max_delay <= delay <= POLICY.max_delay


def test_many_attempts_keep_retrying_instead_of_overflowing() -> None:
    """A policy that retries "until the deadline" gets past attempt 1025 (it used to overflow)."""
    failures = 1030
    seen = [0]

    def handler(request: httpx.Request) -> httpx.Response:
        seen[0] += 1
        if seen[0] <= failures:
            raise httpx.ConnectError("refused", request=request)
        return httpx.Response(200, json={"status": "COMPLETED", "logs": []})

    policy = RetryPolicy(max_attempts=5000, base=1e-7, max_delay=1e-6)
    with Client(base_url=BASE, retry=policy, transport=httpx.MockTransport(handler)) as client:
        assert client.handle("fal-ai/flux", "req-1").status().ok
    assert seen[0] == failures + 1


@pytest.mark.parametrize("attempt", [1, 4, 50])
def test_retry_after_seconds_replace_the_backoff(attempt: int) -> None:
    assert POLICY.delay(attempt, _answer({"retry-after": "3"})) == 3.0
    assert POLICY.delay(attempt, _answer({"retry-after": "0"})) == 0.0
    # honoured beyond max_delay (8 s) up to max_retry_after (60 s), then capped there
    assert POLICY.delay(attempt, _answer({"retry-after": "20"})) == 20.0
    assert POLICY.delay(attempt, _answer({"retry-after": "120"})) == 60.0
    # not jittered: the server's hint is used as given
    assert {POLICY.delay(attempt, _answer({"retry-after": "2"})) for _ in range(20)} == {2.0}


def test_retry_after_http_date_is_the_time_until_that_date() -> None:
    delay = POLICY.delay(1, _answer({"retry-after": _http_date(10)}))
    assert 8.5 < delay <= 10.0  # the date has whole seconds
    assert POLICY.delay(1, _answer({"retry-after": _http_date(3600)})) == 60.0  # max_retry_after
    assert POLICY.delay(1, _answer({"retry-after": _http_date(-3600)})) == 0.0  # already passed
    assert POLICY.delay(1, _answer({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"})) == 0.0


@pytest.mark.parametrize("value", [None, "", "soon", "Someday, 99 Foo 20xx"])
def test_no_usable_retry_after_falls_back_to_the_backoff(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    monkeypatch.setattr(_retry, "random", random.Random(7))
    headers = {} if value is None else {"retry-after": value}
    for attempt in (1, 3, 9):
        low, high = _bounds(POLICY, attempt)
        assert low <= POLICY.delay(attempt, _answer(headers)) <= high


# -- (b) transport errors on result() and cancel() are retried --------------------------------


def _flaky(
    op: str, error: type[httpx.TransportError]
) -> tuple[Callable[[httpx.Request], httpx.Response], list[str]]:
    """Status says COMPLETED; the result GET (or cancel PUT) fails once with ``error``."""
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        path = request.url.path
        seen.append(f"{request.method} {path}")
        if path.endswith("/status"):
            return httpx.Response(200, json={"status": "COMPLETED", "logs": []})
        target = ("GET", RESULT) if op == "result" else ("PUT", RESULT + "/cancel")
        assert (request.method, path) == target, (request.method, path)
        if seen.count(f"{request.method} {path}") == 1:
            raise error("the connection failed", request=request)
        if op == "result":
            return httpx.Response(200, json={"images": ["ok"]})
        return httpx.Response(202, json={"status": "CANCELLATION_REQUESTED"})

    return handler, seen


ERRORS = [httpx.ReadError, httpx.ConnectError, httpx.RemoteProtocolError, httpx.ReadTimeout]


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: e.__name__)
@pytest.mark.parametrize("op", ["result", "cancel"])
def test_sync_result_and_cancel_retry_a_transport_error(
    mock_client, op: str, error: type[httpx.TransportError]
) -> None:
    handler, seen = _flaky(op, error)
    client, _ = mock_client(handler, use_sse=False)
    handle = client.handle("fal-ai/flux", "req-1")
    if op == "result":
        assert handle.result(timeout=5) == {"images": ["ok"]}
        assert seen.count(f"GET {RESULT}") == 2
    else:
        assert handle.cancel() == "CANCELLATION_REQUESTED"
        assert seen == [f"PUT {RESULT}/cancel"] * 2


@pytest.mark.parametrize("error", ERRORS, ids=lambda e: e.__name__)
@pytest.mark.parametrize("op", ["result", "cancel"])
def test_async_result_and_cancel_retry_a_transport_error(
    op: str, error: type[httpx.TransportError]
) -> None:
    handler, seen = _flaky(op, error)

    async def main() -> Any:
        async with async_client(handler, use_sse=False) as client:
            handle = client.handle("fal-ai/flux", "req-1")
            if op == "result":
                return await handle.result(timeout=5)
            return await handle.cancel()

    if op == "result":
        assert asyncio.run(main()) == {"images": ["ok"]}
        assert seen.count(f"GET {RESULT}") == 2
    else:
        assert asyncio.run(main()) == "CANCELLATION_REQUESTED"
        assert seen == [f"PUT {RESULT}/cancel"] * 2


# -- (c) submit/run: re-sent only when the server provably did not accept ----------------------


def _create(client: Client, op: str) -> Any:
    if op == "submit":
        return client.submit("fal-ai/flux/dev", {"prompt": "p"})
    return client.run("fal-ai/flux/dev", {"prompt": "p"})


def _accepted(op: str) -> httpx.Response:
    if op == "submit":
        return httpx.Response(200, json=submitted())
    return httpx.Response(200, headers={"x-fal-request-id": "run-1"}, json={"images": ["ok"]})


@pytest.mark.parametrize("code", [503, 429])
@pytest.mark.parametrize("op", ["submit", "run"])
def test_create_refused_before_enqueueing_is_retried_once(mock_client, op: str, code: int) -> None:
    refused: list[bytes] = []
    accepted: list[bytes] = []

    def handler(request: httpx.Request) -> httpx.Response:
        assert request.method == "POST"
        if not refused:
            refused.append(request.read())
            return httpx.Response(code, json={"detail": "over capacity"})
        accepted.append(request.read())
        return _accepted(op)

    client, rec = mock_client(handler)
    value = _create(client, op)
    assert len(rec.requests) == 2 and len(accepted) == 1
    assert refused == accepted  # the same body was re-sent
    if op == "submit":
        assert value.request_id == "req-1"
    else:
        assert value == {"images": ["ok"]}
    (entry,) = journal()  # one request, journalled once; no FAILED attempt beside it
    expected = ("req-1", "SUBMITTED") if op == "submit" else ("run-1", "COMPLETED")
    assert (entry.request_id, entry.status) == expected


@pytest.mark.parametrize("op", ["submit", "run"])
def test_create_answered_503_naming_a_request_is_not_resent(mock_client, op: str) -> None:
    """A 503 carrying ``x-fal-request-id`` came from the app after the request was accepted."""
    client, rec = mock_client(
        lambda r: httpx.Response(
            503, headers={"x-fal-request-id": "req-9"}, json={"detail": "app overloaded"}
        )
    )
    with pytest.raises(FalError) as info:
        _create(client, op)
    assert info.value.status_code == 503
    assert len(rec.requests) == 1


AMBIGUOUS = [httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError, httpx.WriteError]


@pytest.mark.parametrize("error", AMBIGUOUS, ids=lambda e: e.__name__)
@pytest.mark.parametrize("op", ["submit", "run"])
def test_create_is_not_resent_after_it_may_have_been_sent(
    mock_client, op: str, error: type[httpx.TransportError]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        request.read()  # the body reached the server...
        raise error("the answer never came", request=request)  # ...the answer did not

    client, rec = mock_client(handler)
    with pytest.raises(FalError) as info:
        _create(client, op)
    # never two submissions (a submit's other calls are request-history lookups: _reconcile)
    assert [r.method for r in rec.requests].count("POST") == 1
    expected = DeadlineExceeded if issubclass(error, httpx.TimeoutException) else ServerError
    assert isinstance(info.value, expected), info.value
    assert "may have accepted it" in str(info.value)
    (entry,) = journal()
    if op == "submit":  # neither found nor proven absent: journalled for Client.recover
        assert isinstance(info.value, AmbiguousSubmit)
        assert entry.status == "AMBIGUOUS" and entry.request_id == info.value.journal_id
    else:
        assert entry.status == "FAILED"


class _Listener:
    """A real HTTP server that reads each request whole, counts it, then misbehaves."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.requests: list[bytes] = []
        outer = self

        class Handler(socketserver.BaseRequestHandler):
            def handle(self) -> None:
                sock: socket.socket = self.request
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = sock.recv(65536)
                    if not chunk:
                        return
                    data += chunk
                head, _, body = data.partition(b"\r\n\r\n")
                length = 0
                for line in head.split(b"\r\n")[1:]:
                    name, _, value = line.partition(b":")
                    if name.strip().lower() == b"content-length":
                        length = int(value)
                while len(body) < length:
                    body += sock.recv(65536)
                outer.requests.append(head.split(b"\r\n", 1)[0])
                if outer.behaviour == "silent":
                    time.sleep(1.0)
                # "hang-up": close without an answer

        self.server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> _Listener:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def listener(request: pytest.FixtureRequest) -> Iterator[_Listener]:
    with _Listener(request.param) as server:
        yield server


@pytest.mark.parametrize("listener", ["hang-up", "silent"], indirect=True)
def test_submit_over_a_real_socket_is_sent_once_when_the_answer_is_lost(
    listener: _Listener,
) -> None:
    timeout = httpx.Timeout(5, read=0.3)
    with (
        Client(base_url=listener.url, retry=FAST, timeout=timeout) as client,
        pytest.raises(FalError) as info,
    ):
        client.submit("fal-ai/flux/dev", {"prompt": "p"})
    # a wrong re-send would have been answered (or timed out) before submit raised
    posts = [line for line in listener.requests if line.startswith(b"POST")]
    assert posts == [b"POST /fal-ai/flux/dev HTTP/1.1"]  # the rest: history lookups
    assert "may have accepted it" in str(info.value)
    if listener.behaviour == "silent":
        assert isinstance(info.value, DeadlineExceeded)


# -- (d) submit: ConnectTimeout / PoolTimeout never reached the server ------------------------

NOT_SENT = [httpx.ConnectTimeout, httpx.PoolTimeout, httpx.ConnectError]


@pytest.mark.parametrize("error", NOT_SENT, ids=lambda e: e.__name__)
@pytest.mark.parametrize("op", ["submit", "run"])
def test_create_that_never_left_is_retried(
    mock_client, op: str, error: type[httpx.TransportError]
) -> None:
    calls = [0]

    def handler(request: httpx.Request) -> httpx.Response:
        calls[0] += 1
        if calls[0] == 1:
            raise error("no connection", request=request)
        return _accepted(op)

    client, rec = mock_client(handler)
    value = _create(client, op)
    assert len(rec.requests) == 2  # one failed to connect, one accepted
    if op == "submit":
        assert value.request_id == "req-1"
    else:
        assert value == {"images": ["ok"]}
    (entry,) = journal()  # no FAILED attempt beside the accepted one
    assert entry.status == ("SUBMITTED" if op == "submit" else "COMPLETED")


@pytest.mark.parametrize("error", NOT_SENT, ids=lambda e: e.__name__)
def test_submit_that_never_connects_uses_every_attempt(
    mock_client, error: type[httpx.TransportError]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("no connection", request=request)

    client, rec = mock_client(handler)
    with pytest.raises(FalError):
        client.submit("fal-ai/flux/dev", {"prompt": "p"})
    assert len(rec.requests) == FAST.max_attempts


@pytest.mark.parametrize("error", NOT_SENT, ids=lambda e: e.__name__)
def test_submit_that_never_connects_does_not_claim_it_may_exist(
    mock_client, error: type[httpx.TransportError]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        raise error("no connection", request=request)

    client, _ = mock_client(handler)
    with pytest.raises(FalError) as info:
        client.submit("fal-ai/flux/dev", {"prompt": "p"})
    # regression: only ConnectError was exempt from the "may have accepted it" warning
    assert "may have accepted" not in str(info.value)
    assert "not re-sent" not in str(info.value)
