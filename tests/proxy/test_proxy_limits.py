"""Proxy hardening: start-up key rules, realtime tokens, settling, call and upload caps."""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path

import httpx
import pytest
from proxy_fakes import ALICE, BOB, FakeFal, call

from falwidgets.cli import main
from falwidgets.proxy import ProxyConfig

SUBMIT = "https://queue.fal.run/fal-ai/flux/dev"
TOKENS = "https://rest.fal.ai/tokens/"
Make = Callable[..., httpx.Client]


def _usage(proxy: httpx.Client) -> dict[str, dict[str, object]]:
    return proxy.proxy_server.usage()  # type: ignore[attr-defined]


def _reserved(proxy: httpx.Client, token: str = ALICE) -> int:
    return proxy.proxy_server.app.state.proxy.limits.reserved(token)  # type: ignore[attr-defined]


@pytest.mark.parametrize("upstream", [None, "https://queue.fal.run", "https://gpu.example:8765"])
def test_a_real_or_remote_upstream_needs_a_key(upstream: str | None) -> None:
    with pytest.raises(ValueError, match="set FAL_KEY"):
        ProxyConfig(tokens={ALICE: "a"}, upstream=upstream)


def test_fal_as_upstream_is_normalised_and_loopback_needs_no_key() -> None:
    assert (
        ProxyConfig(tokens={ALICE: "a"}, upstream="https://queue.fal.run", key="k").upstream is None
    )
    assert ProxyConfig(tokens={ALICE: "a"}, upstream="http://127.0.0.1:8765").key is None


def test_the_documented_upstream_sends_each_call_to_its_own_fal_host(
    make_proxy: Make, fake_fal: FakeFal
) -> None:
    proxy = make_proxy(upstream="https://queue.fal.run")
    calls = [
        ("POST", SUBMIT),
        ("POST", "https://fal.run/fal-ai/flux/dev"),
        ("POST", "https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3"),
        ("POST", "https://v3.fal.media/files/upload"),
    ]
    for method, target in calls:
        assert call(proxy, method, target, json_body={}).status_code == 200, target
    sent = [str(r.url) for r in fake_fal.seen if r.url.path != "/storage/auth/token"]
    assert sent == [target for _, target in calls]


def test_cli_with_the_documented_upstream_refuses_to_start_without_a_key(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "t.txt"
    path.write_text(f"{ALICE}\n")
    code = main(["proxy", "--tokens", str(path), "--upstream", "https://queue.fal.run"])
    assert code == 2
    assert "no fal key for fal: set FAL_KEY" in capsys.readouterr().err


def test_realtime_tokens_are_capped_restricted_and_billed(
    make_proxy: Make, fake_fal: FakeFal
) -> None:
    proxy = make_proxy(allow=("fal-ai/flux/*",), budget=2, rate_per_min=10)
    ok = call(proxy, "POST", TOKENS, json_body={"allowed_apps": ["flux"]})
    assert ok.status_code == 200
    assert fake_fal.last_json() == {"allowed_apps": ["flux"], "token_expiration": 120}
    for body, status in [
        ({"allowed_apps": ["flux"], "token_expiration": 86400}, 400),  # a day-long token: no
        ({"allowed_apps": ["flux"], "token_expiration": "300"}, 400),
        ({"allowed_apps": []}, 400),  # no apps would mean every app
        ({"allowed_apps": ["veo3"]}, 403),
    ]:
        answer = call(proxy, "POST", TOKENS, json_body=body)
        assert answer.status_code == status, (body, answer.text)
    ok = call(proxy, "POST", TOKENS, json_body={"allowed_apps": ["flux"], "token_expiration": 300})
    assert ok.status_code == 200
    over = call(proxy, "POST", TOKENS, json_body={"allowed_apps": ["flux"]})
    assert (over.status_code, over.json()["error_type"]) == (429, "budget_exhausted")
    over = call(proxy, "POST", SUBMIT, json_body={})  # mints and submits share the budget
    assert over.status_code == 429
    usage = _usage(proxy)["alice"]
    assert (usage["realtime_tokens"], usage["submissions"]) == (2, 0)
    assert len([r for r in fake_fal.seen if r.url.path == "/tokens/"]) == 2


def test_realtime_token_mints_count_against_the_rate(make_proxy: Make) -> None:
    proxy = make_proxy(rate_per_min=2)
    for _ in range(2):
        assert call(proxy, "POST", TOKENS, json_body={"allowed_apps": ["x"]}).status_code == 200
    refused = call(proxy, "POST", TOKENS, json_body={"allowed_apps": ["x"]})
    assert (refused.status_code, refused.json()["error_type"]) == (429, "rate_limited")


def test_realtime_tokens_are_refused_with_a_budget_but_no_allow_list(
    make_proxy: Make, fake_fal: FakeFal
) -> None:
    proxy = make_proxy(budget=5)
    refused = call(proxy, "POST", TOKENS, json_body={"allowed_apps": ["flux"]})
    assert refused.status_code == 403
    assert "--budget but no --allow" in refused.json()["detail"]
    assert fake_fal.seen == []


@pytest.mark.parametrize("target", ["https://queue.fal.run:99999/x/y", "https://fal.run:abc/x/y"])
def test_a_malformed_port_is_a_400_logged_against_the_token(
    make_proxy: Make, target: str, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = make_proxy()
    with caplog.at_level(logging.INFO, logger="falwidgets.proxy"):
        answer = call(proxy, "POST", target, json_body={})
    assert answer.status_code == 400 and answer.json()["error_type"] == "bad_request"
    assert "alice POST - - -> 400 refused" in caplog.text
    assert _usage(proxy)["alice"]["refused"] == {"400": 1}


def test_budget_settles_on_every_outcome_and_refunds_only_what_was_not_accepted(
    make_proxy: Make, caplog: pytest.LogCaptureFixture
) -> None:
    proxy = make_proxy(budget=10)
    base = "https://queue.fal.run/fal-ai/flux"
    with caplog.at_level(logging.INFO, logger="falwidgets.proxy"):
        unreachable = call(proxy, "POST", f"{base}/unreachable", json_body={})
        refused = call(proxy, "POST", f"{base}/always-500", json_body={})
        timed_out = call(proxy, "POST", f"{base}/read-timeout", json_body={})
        crashed = call(proxy, "POST", f"{base}/crash", json_body={})
    assert (unreachable.status_code, refused.status_code) == (503, 500)
    assert timed_out.status_code == 502
    assert "may have been accepted upstream" in timed_out.json()["detail"]
    assert crashed.status_code == 500 and crashed.json()["error_type"] == "proxy_error"
    assert _reserved(proxy) == 0  # nothing leaked, the unexpected error included
    # not sent (503) and refused upstream (500): refunded; sent then lost (timeout, crash): spent
    assert _usage(proxy)["alice"]["submissions"] == 2
    for path, status in [("unreachable", 503), ("always-500", 500), ("crash", 500)]:
        assert f"alice POST submit fal-ai/flux/{path} -> {status}" in caplog.text
    assert "RuntimeError" in caplog.text and "unexpected" not in caplog.text


def test_synchronous_runs_get_the_long_timeout(make_proxy: Make, fake_fal: FakeFal) -> None:
    proxy = make_proxy(timeout=5.0, run_timeout=600.0)
    assert call(proxy, "POST", "https://fal.run/fal-ai/flux/dev", json_body={}).status_code == 200
    assert fake_fal.seen[-1].extensions["timeout"]["read"] == 600.0
    assert call(proxy, "POST", SUBMIT, json_body={}).status_code == 200
    assert fake_fal.seen[-1].extensions["timeout"]["read"] == 5.0


def test_every_call_has_a_generous_per_token_cap(make_proxy: Make) -> None:
    proxy = make_proxy(calls_per_min=4)
    status = "https://queue.fal.run/fal-ai/flux/requests/abc/status"
    for _ in range(4):
        assert call(proxy, "GET", status).status_code == 200
    over = call(proxy, "GET", status)
    assert (over.status_code, over.json()["error_type"]) == (429, "rate_limited")
    assert "status and results included" in over.json()["detail"]
    assert 1 <= int(over.headers["retry-after"]) <= 60
    assert call(proxy, "GET", status, token=BOB).status_code == 200


def test_storage_initiates_and_multipart_parts_are_capped_per_token(
    make_proxy: Make, fake_fal: FakeFal
) -> None:
    proxy = make_proxy(max_uploads=2, max_parts=3)
    initiate = "https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3"
    body = {"content_type": "image/png", "file_name": "a.png"}
    assert call(proxy, "POST", initiate, json_body=body).status_code == 200
    assert call(proxy, "POST", "https://v3.fal.media/files/upload", content=b"x").status_code == 200
    over = call(proxy, "POST", initiate, json_body=body)
    assert (over.status_code, over.json()["error_type"]) == (429, "upload_limit")
    part = "https://v3.fal.media/files/b/abc.bin/multipart/up1/{}"
    for n in range(1, 4):  # forwarded (the fake answers parts with 404, fal with 200)
        assert call(proxy, "PUT", part.format(n), content=b"p").status_code == 404
    over = call(proxy, "PUT", part.format(4), content=b"p")
    assert (over.status_code, over.json()["error_type"]) == (429, "upload_limit")
    assert call(proxy, "POST", initiate, json_body=body, token=BOB).status_code == 200
    usage = _usage(proxy)["alice"]
    assert (usage["uploads"], usage["parts"]) == (2, 3)
    initiated = [r for r in fake_fal.seen if "initiate" in str(r.url)]
    assert len(initiated) == 2  # alice's first, bob's: the refused one never went upstream
