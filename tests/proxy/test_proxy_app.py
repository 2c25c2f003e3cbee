"""The proxy in front of a recording fake fal: what it forwards, what it refuses, what it logs."""

from __future__ import annotations

import logging
from collections.abc import Callable

import httpx
import pytest
from proxy_fakes import ALICE, BOB, KEY, FakeFal, call

SUBMIT = "https://queue.fal.run/fal-ai/flux/dev"

Make = Callable[..., httpx.Client]


def test_submit_is_forwarded_with_the_proxy_key_and_only_fal_headers(
    make_proxy: Make, fake_fal: FakeFal
) -> None:
    proxy = make_proxy()
    answer = call(
        proxy,
        "POST",
        SUBMIT + "?fal_webhook=https%3A%2F%2Fexample.org%2Fhook",
        json_body={"prompt": "a cat"},
        headers={
            "x-fal-request-timeout": "30",
            "x-fal-queue-priority": "low",
            "cookie": "session=secret",
            "x-forwarded-for": "10.0.0.9",
            "x-api-key": "something-else",
        },
    )
    assert answer.status_code == 200, answer.text
    assert answer.json()["request_id"]
    assert answer.headers["x-fal-request-id"] == answer.json()["request_id"]
    sent = fake_fal.seen[-1]
    assert str(sent.url) == SUBMIT + "?fal_webhook=https%3A%2F%2Fexample.org%2Fhook"
    assert sent.headers["authorization"] == f"Key {KEY}"  # the proxy's key, not the student's token
    assert fake_fal.last_json() == {"prompt": "a cat"}
    assert sent.headers["x-fal-request-timeout"] == "30"
    assert sent.headers["x-fal-queue-priority"] == "low"
    assert sent.headers["content-type"] == "application/json"
    for private in ("cookie", "x-forwarded-for", "x-api-key", "x-fal-target-url"):
        assert private not in sent.headers
    assert ALICE not in str(sent.headers)


def test_token_may_come_as_bearer_or_x_fal_proxy_token(make_proxy: Make, fake_fal: FakeFal) -> None:
    proxy = make_proxy()
    bearer = call(
        proxy, "POST", SUBMIT, token=None, json_body={}, headers={"authorization": f"Bearer {BOB}"}
    )
    assert bearer.status_code == 200
    header = call(
        proxy, "POST", SUBMIT, token=None, json_body={}, headers={"x-fal-proxy-token": ALICE}
    )
    assert header.status_code == 200
    assert "x-fal-proxy-token" not in fake_fal.seen[-1].headers


@pytest.mark.parametrize(
    ("headers", "error_type"),
    [
        ({}, "missing_token"),
        ({"authorization": "Key fwt_not_a_student_token"}, "invalid_token"),
        ({"authorization": f"Basic {ALICE}"}, "missing_token"),
        ({"authorization": f"Key {ALICE}x"}, "invalid_token"),
        ({"authorization": f"Key {KEY}"}, "invalid_token"),  # the real key is not a student token
    ],
)
def test_no_or_wrong_token_is_401_and_nothing_goes_upstream(
    make_proxy: Make, fake_fal: FakeFal, headers: dict[str, str], error_type: str
) -> None:
    proxy = make_proxy()
    answer = call(proxy, "POST", SUBMIT, token=None, json_body={}, headers=headers)
    assert answer.status_code == 401
    assert answer.json()["error_type"] == error_type
    assert answer.headers["x-fal-error-type"] == error_type
    assert fake_fal.seen == []


@pytest.mark.parametrize(
    ("method", "target", "status", "error_type"),
    [
        ("POST", "https://attacker.example/steal", 403, "host_not_allowed"),
        ("POST", "https://rest.fal.ai/admin/keys", 403, "path_not_allowed"),
        ("POST", "https://queue.fal.run/fal-ai/veo3", 403, "endpoint_not_allowed"),
        (
            "GET",
            "https://queue.fal.run/fal-ai/veo3/requests/r1/status",
            403,
            "endpoint_not_allowed",
        ),
        ("POST", "https://fal.run/fal-ai/veo3", 403, "endpoint_not_allowed"),
        ("POST", "", 400, "bad_request"),
    ],
)
def test_other_hosts_paths_and_endpoints_are_refused(
    make_proxy: Make, fake_fal: FakeFal, method: str, target: str, status: int, error_type: str
) -> None:
    proxy = make_proxy(allow=("fal-ai/flux/*",))
    answer = call(proxy, method, target, json_body={})
    assert (answer.status_code, answer.json()["error_type"]) == (status, error_type)
    assert fake_fal.seen == []


def test_body_over_the_limit_is_413_whether_declared_or_streamed(
    make_proxy: Make, fake_fal: FakeFal
) -> None:
    proxy = make_proxy(max_body=1000, max_upload=5000)
    big = call(proxy, "POST", SUBMIT, json_body={"prompt": "x" * 2000})
    assert big.status_code == 413 and big.json()["error_type"] == "body_too_large"

    def chunks():  # no content-length: the proxy must count while it reads
        for _ in range(10):
            yield b"x" * 200

    streamed = proxy.post(
        "/", content=chunks(), headers={"x-fal-target-url": SUBMIT, "authorization": f"Key {ALICE}"}
    )
    assert streamed.status_code == 413
    upload = "https://v3.fal.media/files/upload"
    assert call(proxy, "POST", upload, content=b"x" * 4000).status_code == 200  # uploads: own limit
    assert call(proxy, "POST", upload, content=b"x" * 6000).status_code == 413
    assert all(r.url.path != "/fal-ai/flux/dev" for r in fake_fal.seen)


def test_rate_limit_is_per_token_with_retry_after(make_proxy: Make) -> None:
    proxy = make_proxy(rate_per_min=3)
    for _ in range(3):
        assert call(proxy, "POST", SUBMIT, json_body={}).status_code == 200
    refused = call(proxy, "POST", SUBMIT, json_body={})
    assert refused.status_code == 429
    assert refused.json()["error_type"] == "rate_limited"
    assert 1 <= int(refused.headers["retry-after"]) <= 60
    assert call(proxy, "POST", SUBMIT, json_body={}, token=BOB).status_code == 200  # bob unaffected
    # polling is not a costly call: status keeps working while submissions are rate limited
    status = "https://queue.fal.run/fal-ai/flux/requests/abc/status"
    assert call(proxy, "GET", status).status_code == 200


def test_budget_counts_accepted_submissions_only(make_proxy: Make, fake_fal: FakeFal) -> None:
    proxy = make_proxy(budget=2)
    failing = "https://queue.fal.run/fal-ai/flux/always-500"
    assert call(proxy, "POST", failing, json_body={}).status_code == 500  # not accepted: refunded
    assert call(proxy, "POST", SUBMIT, json_body={}).status_code == 200
    assert call(proxy, "POST", "https://fal.run/fal-ai/flux/dev", json_body={}).status_code == 200
    over = call(proxy, "POST", SUBMIT, json_body={})
    assert over.status_code == 429
    assert over.json()["error_type"] == "budget_exhausted"
    assert int(over.headers["retry-after"]) > 3600
    assert call(proxy, "POST", SUBMIT, json_body={}, token=BOB).status_code == 200
    usage = proxy.proxy_server.usage()  # type: ignore[attr-defined]
    assert usage["alice"]["submissions"] == 2
    assert usage["alice"]["refused"] == {"429": 1}
    assert usage["alice"]["upstream_errors"] == {"500": 1}
    assert usage["bob"]["submissions"] == 1


def test_a_request_is_only_reachable_with_the_token_that_submitted_it(make_proxy: Make) -> None:
    proxy = make_proxy()
    status_url = call(proxy, "POST", SUBMIT, json_body={}).json()["status_url"]
    assert call(proxy, "GET", status_url).status_code == 200
    stolen = call(proxy, "GET", status_url, token=BOB)
    assert stolen.status_code == 403 and stolen.json()["error_type"] == "not_your_request"
    cancel = status_url.replace("/status", "/cancel")
    assert call(proxy, "PUT", cancel, token=BOB).status_code == 403


def test_sse_status_stream_is_relayed(make_proxy: Make) -> None:
    proxy = make_proxy()
    target = "https://queue.fal.run/fal-ai/flux/requests/r1/status/stream?logs=1"
    answer = call(proxy, "GET", target)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/event-stream")
    assert answer.text.count("data: ") == 2 and ": ping" in answer.text


def test_cdn_upload_uses_a_storage_token_fetched_with_the_key(
    make_proxy: Make, fake_fal: FakeFal
) -> None:
    proxy = make_proxy()
    for _ in range(2):
        answer = call(
            proxy,
            "POST",
            "https://v3.fal.media/files/upload",
            content=b"\x89PNG....",
            headers={"content-type": "image/png", "x-fal-file-name": "a.png"},
        )
        assert answer.status_code == 200
    token_calls = [r for r in fake_fal.seen if r.url.path == "/storage/auth/token"]
    assert len(token_calls) == 1  # cached until it expires
    assert token_calls[0].headers["authorization"] == f"Key {KEY}"
    upload = fake_fal.seen[-1]
    assert upload.headers["authorization"] == "Bearer cdn-token"
    assert upload.headers["x-fal-file-name"] == "a.png"
    assert fake_fal.bodies[-1] == b"\x89PNG...."


def test_realtime_tokens_only_for_allowed_apps(make_proxy: Make) -> None:
    proxy = make_proxy(allow=("fal-ai/flux/*",))
    tokens = "https://rest.fal.ai/tokens/"
    assert call(proxy, "POST", tokens, json_body={"allowed_apps": ["flux"]}).status_code == 200
    denied = call(proxy, "POST", tokens, json_body={"allowed_apps": ["veo3"]})
    assert denied.status_code == 403


def test_usage_log_names_labels_never_tokens_keys_or_bodies(
    make_proxy: Make, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = make_proxy()
    with caplog.at_level(logging.INFO, logger="falwidgets.proxy"):
        call(proxy, "POST", SUBMIT, json_body={"prompt": "PRIVATE-PROMPT"})
        call(proxy, "POST", SUBMIT, json_body={}, token="fwt_wrong_token_1234")
    text = caplog.text
    assert "alice POST submit fal-ai/flux/dev -> 200" in text
    assert "-> 401 refused" in text
    for secret in (ALICE, KEY, "PRIVATE-PROMPT", "fwt_wrong_token_1234"):
        assert secret not in text
    assert KEY not in repr(proxy.proxy_server.config)  # type: ignore[attr-defined]


def test_upstream_urls_are_logged_without_their_query(
    make_proxy: Make, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = make_proxy()
    hook = "https://hooks.example/receive?secret=HOOK-SECRET"
    target = f"{SUBMIT}?fal_webhook={hook}"
    with caplog.at_level(logging.INFO, logger="httpx"):
        assert call(proxy, "POST", target, json_body={}).status_code == 200
    upstream = [
        m for r in caplog.records if r.name == "httpx" and "fal.run" in (m := r.getMessage())
    ]
    assert upstream == [f'HTTP Request: POST {SUBMIT} "HTTP/1.1 200 OK"']
    assert "HOOK-SECRET" not in caplog.text and "fal_webhook" not in caplog.text


def test_unreachable_upstream_is_a_retryable_503_not_a_hang() -> None:
    from falwidgets.proxy import serve_proxy

    with serve_proxy([ALICE], upstream="http://127.0.0.1:9", key=KEY) as server:
        answer = httpx.post(
            server.url,
            headers={"x-fal-target-url": SUBMIT, "authorization": f"Key {ALICE}"},
            json={},
            timeout=20,
        )
    assert answer.status_code == 503  # nothing was sent upstream: clients may retry a submit
    assert answer.json()["error_type"] == "upstream_unavailable"
    assert answer.headers["retry-after"] == "1"


def test_token_in_the_proxy_url_path_for_clients_without_headers(make_proxy: Make) -> None:
    proxy = make_proxy()
    ok = proxy.post(f"/t/{ALICE}", headers={"x-fal-target-url": SUBMIT}, json={})
    assert ok.status_code == 200
    wrong = proxy.post("/t/fwt_wrong_token_1234", headers={"x-fal-target-url": SUBMIT}, json={})
    assert wrong.status_code == 401


def test_browser_preflight_is_answered_without_a_token(make_proxy: Make) -> None:
    proxy = make_proxy()
    answer = proxy.options(
        "/api/fal/proxy",
        headers={
            "origin": "http://localhost:8888",
            "access-control-request-method": "POST",
            "access-control-request-headers": "authorization,content-type,x-fal-target-url",
        },
    )
    assert answer.status_code == 200
    assert "POST" in answer.headers["access-control-allow-methods"]
