"""Credentials, proxy mode, error mapping and retry rules (httpx.MockTransport)."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from client_fakes import submitted

from falwidgets.client import (
    AuthError,
    Client,
    DeadlineExceeded,
    InputRejected,
    MissingCredentials,
    NotFound,
    RateLimited,
    ServerError,
)
from falwidgets.client._auth import has_credentials, resolve_credentials

SECRET = "kid-123:very-secret-value"


def test_credentials_order(monkeypatch: pytest.MonkeyPatch) -> None:
    assert resolve_credentials().source == "none"
    monkeypatch.setenv("FAL_KEY_ID", "id")
    monkeypatch.setenv("FAL_KEY_SECRET", "sec")
    creds = resolve_credentials()
    assert (creds.key, creds.source) == ("id:sec", "FAL_KEY_ID/FAL_KEY_SECRET")
    monkeypatch.setenv("FAL_KEY", " env-key \n")
    assert resolve_credentials().key == "env-key"
    assert resolve_credentials("explicit").source == "argument"
    assert "env-key" not in repr(resolve_credentials())


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"FAL_KEY": "  \t "}, False),  # whitespace only is no key
        ({"FAL_KEY_ID": " ", "FAL_KEY_SECRET": "s"}, False),
        ({"FAL_KEY_ID": "id", "FAL_KEY_SECRET": "secret"}, True),
        ({"FAL_KEY": " id:secret\n"}, True),
        ({"FAL_KEY": "id:\x07secret"}, True),  # a broken key is still the user's key
        ({}, False),
    ],
)
def test_has_credentials_is_resolve_credentials(monkeypatch, env, expected) -> None:
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    assert has_credentials() is expected


def test_control_characters_in_key_are_named_not_shown(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_KEY", "abc\x07def")
    with pytest.raises(AuthError, match="control characters") as info:
        resolve_credentials()
    assert "abc" not in str(info.value)


def test_missing_credentials_names_the_variables() -> None:
    client = Client()
    with pytest.raises(MissingCredentials) as info:
        client.submit("fal-ai/flux/dev", {"prompt": "x"})
    message = str(info.value)
    assert "FAL_KEY" in message and "FAL_KEY_ID" in message and "FAL_KEY_SECRET" in message
    client.close()


def test_env_key_goes_to_fal_hosts_only(monkeypatch, mock_client) -> None:
    monkeypatch.setenv("FAL_KEY", SECRET)
    seen: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request.headers.get("authorization"))
        return httpx.Response(200, json=submitted())

    local, _ = mock_client(handler)
    local.submit("fal-ai/flux/dev", {})
    fal, _ = mock_client(handler, base_url=None)
    fal.submit("fal-ai/flux/dev", {})
    explicit, _ = mock_client(handler, key="mine")
    explicit.submit("fal-ai/flux/dev", {})
    assert seen == [None, f"Key {SECRET}", "Key mine"]


def test_key_never_in_repr_or_error_messages(mock_client) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        echoed = request.headers["authorization"]
        return httpx.Response(401, json={"detail": f"No user found for {echoed}"})

    client, _ = mock_client(handler, key=SECRET)
    assert SECRET not in repr(client) and "key=set" in repr(client)
    with pytest.raises(AuthError) as info:
        client.submit("fal-ai/flux/dev", {})
    assert SECRET not in str(info.value) and SECRET not in repr(info.value.args)
    assert "***" in str(info.value)


def test_proxy_mode_sends_target_header_and_no_key(monkeypatch, mock_client) -> None:
    monkeypatch.setenv("FAL_KEY", SECRET)
    got: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        got.append(request)
        target = request.headers["x-fal-target-url"]
        if target.endswith("/status?logs=0"):
            return httpx.Response(200, json={"status": "COMPLETED", "logs": []})
        if target.startswith("https://queue.fal.run/fal-ai/flux/requests/"):
            return httpx.Response(200, json={"ok": True})
        body = submitted()
        url = "https://queue.fal.run/fal-ai/flux/requests/req-1"
        body.update(response_url=url, status_url=url + "/status", cancel_url=url + "/cancel")
        return httpx.Response(200, json=body)

    client, _ = mock_client(
        handler, base_url=None, proxy_url="http://proxy.local/api/fal/proxy", use_sse=False
    )
    handle = client.submit("fal-ai/flux/dev", {"prompt": "x"}, webhook_url="https://hook/x?a=1")
    assert handle.result(timeout=5) == {"ok": True}
    first = got[0]
    assert str(first.url) == "http://proxy.local/api/fal/proxy"
    assert first.headers["x-fal-target-url"] == (
        "https://queue.fal.run/fal-ai/flux/dev?fal_webhook=https%3A%2F%2Fhook%2Fx%3Fa%3D1"
    )
    assert all("authorization" not in r.headers for r in got)
    assert json.loads(first.content) == {"prompt": "x"}


@pytest.mark.parametrize(
    ("detail", "expected"),
    [
        (
            [
                {
                    "loc": ["body", "num_images"],
                    "msg": "Input should be <= 4",
                    "type": "less_than_equal",
                    "ctx": {"le": 4},
                }
            ],
            [["body", "num_images"], "Input should be <= 4", "less_than_equal"],
        ),
        ("prompt is required", [["body"], "prompt is required", "value_error"]),
    ],
)
def test_422_list_and_string_details(mock_client, detail, expected) -> None:
    client, _ = mock_client(lambda r: httpx.Response(422, json={"detail": detail}))
    with pytest.raises(InputRejected) as info:
        client.submit("fal-ai/flux/dev", {"num_images": 9})
    err = info.value.errors[0]
    assert [err["loc"], err["msg"], err["type"]] == expected
    assert "fal-ai/flux/dev" in str(info.value) and expected[1] in str(info.value)
    assert info.value.status_code == 422


def test_infrastructure_error_body_and_header(mock_client) -> None:
    body = {"detail": "Runner disconnected", "error_type": "runner_disconnected"}
    client, rec = mock_client(
        lambda r: httpx.Response(500, json=body, headers={"x-fal-request-id": "gw-9"})
    )
    with pytest.raises(ServerError) as info:
        client.submit("fal-ai/flux/dev", {})
    assert info.value.error_type == "runner_disconnected"
    assert "Runner disconnected" in str(info.value) and "gw-9" in str(info.value)
    assert len(rec.requests) == 1  # a 500 on submit is never retried
    client2, _ = mock_client(
        lambda r: httpx.Response(
            502, text="<html>nginx bad gateway</html>", headers={"x-fal-error-type": "ingress"}
        )
    )
    handle = client2.handle("fal-ai/flux", "r-1")
    with pytest.raises(ServerError) as info2:
        handle.status()
    assert info2.value.error_type == "ingress" and info2.value.request_id == "r-1"


@pytest.mark.parametrize(
    ("status", "detail", "needle"),
    [
        (401, "No user found for Key ID and Secret", "key is not valid"),
        (
            403,
            "User is locked. Reason: Exhausted balance. Top up your balance at "
            "fal.ai/dashboard/billing.",
            "Exhausted balance",
        ),
        (403, "User is locked. Reason: Admin lock. Please contact support@fal.ai", "Admin lock"),
    ],
)
def test_auth_errors_carry_the_lock_reason(mock_client, status, detail, needle) -> None:
    client, _ = mock_client(lambda r: httpx.Response(status, json={"detail": detail}), key="k")
    with pytest.raises(AuthError, match=needle) as info:
        client.submit("fal-ai/flux/dev", {})
    assert info.value.status_code == status


def test_not_found_names_the_request(mock_client) -> None:
    client, _ = mock_client(lambda r: httpx.Response(404, json={"status": "NOT_FOUND"}))
    with pytest.raises(NotFound, match="r-404") as info:
        client.handle("fal-ai/flux", "r-404").status()
    assert info.value.request_id == "r-404"


def test_retry_after_is_honoured_on_status(mock_client) -> None:
    calls: list[float] = []

    def handler(request: httpx.Request) -> httpx.Response:
        calls.append(time.monotonic())
        if len(calls) == 1:
            return httpx.Response(429, headers={"retry-after": "0.3"}, json={"detail": "slow"})
        return httpx.Response(202, json={"status": "IN_QUEUE", "queue_position": 1})

    client, _ = mock_client(handler)
    assert client.handle("fal-ai/flux", "r").status().position == 1
    assert len(calls) == 2 and calls[1] - calls[0] >= 0.29


def test_rate_limited_after_retries(mock_client) -> None:
    client, rec = mock_client(
        lambda r: httpx.Response(429, headers={"retry-after": "0"}, json={"detail": "queue full"})
    )
    with pytest.raises(RateLimited, match="queue full") as info:
        client.submit("fal-ai/flux/dev", {})
    assert info.value.retry_after == 0.0
    assert len(rec.requests) == 4  # FAST.max_attempts: a 429 on submit was provably not enqueued


def test_submit_retried_only_when_not_sent(mock_client) -> None:
    attempts: list[int] = []

    def refused_then_ok(request: httpx.Request) -> httpx.Response:
        attempts.append(1)
        if len(attempts) < 3:
            raise httpx.ConnectError("connection refused", request=request)
        return httpx.Response(200, json=submitted())

    client, _ = mock_client(refused_then_ok)
    assert client.submit("fal-ai/flux/dev", {}).request_id == "req-1"
    assert len(attempts) == 3

    def read_timeout(request: httpx.Request) -> httpx.Response:
        raise httpx.ReadTimeout("no answer", request=request)

    client2, rec2 = mock_client(read_timeout)
    with pytest.raises(DeadlineExceeded, match="not re-sent"):
        client2.submit("fal-ai/flux/dev", {})
    # never two submissions for one call (the rest are request-history lookups: _reconcile)
    assert [r.method for r in rec2.requests].count("POST") == 1

    def reset(request: httpx.Request) -> httpx.Response:
        raise httpx.RemoteProtocolError("server disconnected", request=request)

    client3, rec3 = mock_client(reset)
    with pytest.raises(ServerError):
        client3.submit("fal-ai/flux/dev", {})
    assert [r.method for r in rec3.requests].count("POST") == 1


def test_status_retries_transport_errors_and_gateway_codes(mock_client) -> None:
    script = iter(
        [
            httpx.ReadError("reset"),
            httpx.Response(503, json={"detail": "busy"}),
            httpx.Response(504, text="gateway"),
            httpx.Response(200, json={"status": "COMPLETED", "logs": []}),
        ]
    )

    def handler(request: httpx.Request) -> httpx.Response:
        step = next(script)
        if isinstance(step, Exception):
            raise step
        return step

    client, rec = mock_client(handler)
    assert client.handle("fal-ai/flux", "r").status().ok
    assert len(rec.requests) == 4


def test_user_start_timeout_504_is_not_retried(mock_client) -> None:
    client, rec = mock_client(
        lambda r: httpx.Response(
            504,
            json={"detail": "start timeout", "error_type": "startup_timeout"},
            headers={"x-fal-request-timeout-type": "user"},
        )
    )
    with pytest.raises(ServerError, match="startup_timeout"):
        client.handle("fal-ai/flux", "r").status()
    assert len(rec.requests) == 1


def test_submit_headers_and_validation(mock_client) -> None:
    client, rec = mock_client(lambda r: httpx.Response(200, json=submitted()))
    client.submit(
        "fal-ai/flux/dev",
        {},
        priority="low",
        start_timeout=30,
        hint="runner-a",
        headers={"x-fal-store-io": "0"},
    )
    sent = rec.requests[0].headers
    assert sent["x-fal-queue-priority"] == "low"
    assert sent["x-fal-request-timeout"] == "30"
    assert sent["x-fal-runner-hint"] == "runner-a" and sent["x-fal-store-io"] == "0"
    with pytest.raises(ValueError, match="priority"):
        client.submit("fal-ai/flux/dev", {}, priority="urgent")
    with pytest.raises(TypeError, match="dict"):
        client.submit("fal-ai/flux/dev", ["not", "a", "dict"])  # type: ignore[arg-type]
    with pytest.raises(ServerError, match="no request_id"):
        bad, _ = mock_client(lambda r: httpx.Response(200, json={"ok": 1}))
        bad.submit("fal-ai/flux/dev", {})
