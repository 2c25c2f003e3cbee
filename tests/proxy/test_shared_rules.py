"""The proxy applies the package's shared rules (endpoint ids, fal hosts, loopback, the key from
the environment, "never sent"), including the cases where its old private copies disagreed."""

from __future__ import annotations

from collections.abc import Callable

import httpx
import pytest
from proxy_fakes import ALICE, KEY, FakeFal, call

from falwidgets._endpoint_id import parse_endpoint
from falwidgets.proxy import ProxyConfig, ProxyServer, Refusal, Upstream, classify, serve_proxy

FAL = Upstream()
Make = Callable[..., httpx.Client]

IDS = [
    "fal-ai/flux/dev",
    "fal-ai/flux@v2/dev",  # @ and + are URL-safe and legal in fal ids
    "me/app+beta",
    "workflows/me/wf",
    "comfy/me/flow/x",
    "123-app",  # legacy <number>-<app>
    "justone",
    "workflows/me",
    "fal-ai/%20x",
    "fal-ai/a b",
    "fal-ai/../x",
]


def _parses(endpoint: str) -> bool:
    try:
        parse_endpoint(endpoint)
    except ValueError:
        return False
    return True


@pytest.mark.parametrize("endpoint", IDS)
def test_the_proxy_accepts_exactly_the_ids_the_client_accepts(endpoint: str) -> None:
    for method, url in [
        ("POST", f"https://queue.fal.run/{endpoint}"),
        ("POST", f"https://fal.run/{endpoint}"),
    ]:
        try:
            target = classify(method, url, FAL)
        except Refusal as refusal:
            assert not _parses(endpoint), (url, refusal.detail)
            assert refusal.status == 403
        else:
            assert _parses(endpoint), url
            assert target.endpoint == endpoint


def test_a_legacy_id_is_submitted_and_followed_under_its_app_id() -> None:
    allow = ("123-app",)
    submit = classify("POST", "https://queue.fal.run/123-app", FAL, allow)
    assert (submit.kind, submit.endpoint) == ("submit", "123-app")
    status = classify("GET", "https://queue.fal.run/123/app/requests/r1/status", FAL, allow)
    assert (status.kind, status.endpoint, status.request_id) == ("request", "123/app", "r1")
    stream = classify("POST", "https://fal.run/123-app/stream", FAL, allow)
    assert (stream.kind, stream.endpoint) == ("stream", "123-app")
    with pytest.raises(Refusal, match="not allowed"):
        classify("GET", "https://queue.fal.run/124/app/requests/r1/status", FAL, allow)


def test_ids_with_at_and_plus_match_the_allow_list() -> None:
    allow = ("me/app+beta/*",)
    target = classify("POST", "https://queue.fal.run/me/app+beta/v@2", FAL, allow)
    assert target.endpoint == "me/app+beta/v@2"
    status = classify("GET", "https://queue.fal.run/me/app+beta/requests/r/status", FAL, allow)
    assert status.kind == "request"


@pytest.mark.parametrize(
    "base", ["https://fal.ai", "https://fal.media", "https://x.falrun.com", "https://api.fal.ai"]
)
def test_every_fal_host_as_upstream_means_fal_itself(base: str) -> None:
    upstream = Upstream(base)
    assert upstream.is_fal and upstream.base is None
    # so it needs the key, like fal, and never gets every call mapped onto one base
    with pytest.raises(ValueError, match="set FAL_KEY"):
        ProxyConfig(tokens={ALICE: "a"}, upstream=base)
    with pytest.raises(ValueError, match="https"):
        Upstream(base.replace("https", "http"))


def test_fal_hosts_the_proxy_does_not_forward_to_are_named_as_such() -> None:
    with pytest.raises(Refusal) as caught:
        classify("POST", "https://fal.ai/api/keys", FAL)
    assert caught.value.error_type == "host_not_allowed"
    assert "does not forward" in caught.value.detail
    with pytest.raises(Refusal) as caught:
        classify("POST", "https://evil.example/fal-ai/flux/dev", FAL)
    assert "not a fal host" in caught.value.detail


@pytest.mark.parametrize(
    "base",
    ["http://127.0.0.2:8765", "http://0.0.0.0:8765", "http://box.localhost:8765", "http://[::1]:1"],
)
def test_this_machine_is_a_local_upstream_that_needs_no_key(base: str) -> None:
    assert Upstream(base).local
    assert ProxyConfig(tokens={ALICE: "a"}, upstream=base).key is None


def test_a_blank_fal_key_is_no_key_and_the_id_secret_pair_is_used(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FAL_KEY", "  \t ")
    monkeypatch.delenv("FAL_KEY_ID", raising=False)
    monkeypatch.delenv("FAL_KEY_SECRET", raising=False)
    with pytest.raises(ValueError, match="set FAL_KEY"):
        serve_proxy([ALICE], upstream="https://gpu.example:8765")
    monkeypatch.setenv("FAL_KEY_ID", "key-id")
    monkeypatch.setenv("FAL_KEY_SECRET", "key-secret")
    with serve_proxy([ALICE], upstream="https://gpu.example:8765") as proxy:
        assert proxy.config.key == "key-id:key-secret"
        assert "key-secret" not in repr(proxy) + repr(proxy.config)


def test_a_pasted_newline_in_fal_key_is_a_clear_error(monkeypatch: pytest.MonkeyPatch) -> None:
    from falwidgets.client import AuthError

    monkeypatch.setenv("FAL_KEY", "id:se\ncret")
    with pytest.raises(AuthError, match="control characters") as caught:
        serve_proxy([ALICE], upstream="https://gpu.example:8765")
    assert "cret" not in str(caught.value)


def test_an_unsupported_protocol_was_never_sent_so_it_is_a_retryable_503(
    fake_fal: FakeFal,
) -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.UnsupportedProtocol("no such scheme", request=request)

    config = ProxyConfig(tokens={ALICE: "alice"}, key=KEY, budget=1, allow=("fal-ai/*",))
    with ProxyServer(config, transport=httpx.MockTransport(refuse)).start() as server:
        with httpx.Client(base_url=server.url, timeout=10) as client:
            answer = call(client, "POST", "https://queue.fal.run/fal-ai/flux/dev", json_body={})
        assert answer.status_code == 503
        assert answer.json()["error_type"] == "upstream_unavailable"
        # nothing left this machine: the call is refunded, the budget is still there
        assert server.app.state.proxy.limits.reserved(ALICE) == 0
        assert server.usage()["alice"]["submissions"] == 0


def test_serve_proxy_names_every_option_of_the_config() -> None:
    import dataclasses
    import inspect

    parameters = inspect.signature(serve_proxy).parameters
    assert not any(p.kind is inspect.Parameter.VAR_KEYWORD for p in parameters.values())
    options = {f.name for f in dataclasses.fields(ProxyConfig) if f.init}
    assert options <= set(parameters)
