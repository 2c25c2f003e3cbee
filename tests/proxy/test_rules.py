"""Which targets the proxy forwards, and the status it answers for each one it refuses."""

from __future__ import annotations

import pytest

from falwidgets.proxy import Refusal, Upstream, classify

FAL = Upstream()
LOCAL = Upstream("http://127.0.0.1:9999")


@pytest.mark.parametrize(
    ("method", "url", "kind", "endpoint"),
    [
        ("POST", "https://queue.fal.run/fal-ai/flux/dev", "submit", "fal-ai/flux/dev"),
        (
            "POST",
            "https://queue.fal.run/fal-ai/flux/dev?fal_webhook=x",
            "submit",
            "fal-ai/flux/dev",
        ),
        (
            "GET",
            "https://queue.fal.run/fal-ai/flux/requests/r1/status?logs=1",
            "request",
            "fal-ai/flux",
        ),
        (
            "GET",
            "https://queue.fal.run/fal-ai/flux/requests/r1/status/stream",
            "request",
            "fal-ai/flux",
        ),
        ("GET", "https://queue.fal.run/fal-ai/flux/requests/r1", "request", "fal-ai/flux"),
        ("PUT", "https://queue.fal.run/fal-ai/flux/requests/r1/cancel", "request", "fal-ai/flux"),
        ("GET", "https://queue.fal.run/fal-ai/flux/dev/requests/r1", "request", "fal-ai/flux/dev"),
        ("POST", "https://fal.run/fal-ai/flux/dev", "run", "fal-ai/flux/dev"),
        ("POST", "https://fal.run/fal-ai/flux-krea-lora/stream", "stream", "fal-ai/flux-krea-lora"),
        ("POST", "https://rest.fal.ai/storage/upload/initiate?storage_type=gcs", "storage", ""),
        ("POST", "https://rest.fal.ai/storage/upload/initiate-multipart", "storage", ""),
        ("POST", "https://rest.fal.ai/storage/auth/token?storage_type=fal-cdn-v3", "storage", ""),
        ("POST", "https://rest.fal.ai/tokens/", "token", ""),
        ("POST", "https://v3.fal.media/files/upload", "cdn", ""),
        ("POST", "https://v3.fal.media/files/upload/multipart", "cdn", ""),
        ("PUT", "https://v3.fal.media/files/b/abc.bin/multipart/up1/3", "cdn", ""),
        ("POST", "https://v3.fal.media/files/b/abc.bin/multipart/up1/complete", "cdn", ""),
    ],
)
def test_every_fal_call_a_client_needs_is_allowed(
    method: str, url: str, kind: str, endpoint: str
) -> None:
    target = classify(method, url, FAL)
    assert (target.kind, target.endpoint) == (kind, endpoint)
    assert FAL.url_for(target) == url


@pytest.mark.parametrize(
    ("method", "url", "status", "error_type"),
    [
        ("POST", "", 400, "bad_request"),
        ("POST", "https://evil.example/fal-ai/flux/dev", 403, "host_not_allowed"),
        ("POST", "https://queue.fal.run.evil.example/fal-ai/flux", 403, "host_not_allowed"),
        ("POST", "http://queue.fal.run/fal-ai/flux/dev", 403, "host_not_allowed"),
        ("POST", "https://queue.fal.run:8443/fal-ai/flux/dev", 403, "host_not_allowed"),
        ("POST", "https://api.fal.ai/v1/keys", 403, "path_not_allowed"),
        ("POST", "https://user:pw@queue.fal.run/fal-ai/flux/dev", 400, "bad_request"),
        ("POST", "https://rest.fal.ai/billing/top-up", 403, "path_not_allowed"),
        ("GET", "https://rest.fal.ai/storage/upload/initiate", 403, "path_not_allowed"),
        ("POST", "https://queue.fal.run/fal-ai/../admin", 403, "path_not_allowed"),
        ("POST", "https://queue.fal.run/fal-ai/%2e%2e/x", 403, "path_not_allowed"),
        ("POST", "https://queue.fal.run/fal-ai//flux", 403, "path_not_allowed"),
        ("DELETE", "https://queue.fal.run/fal-ai/flux/requests/r1", 403, "path_not_allowed"),
        ("GET", "https://queue.fal.run/fal-ai/flux/requests/r1/cancel", 403, "path_not_allowed"),
        ("POST", "https://queue.fal.run/fal-ai/flux/requests/r1/whatever", 403, "path_not_allowed"),
        ("GET", "https://queue.fal.run/fal-ai/flux/dev", 403, "path_not_allowed"),
        ("GET", "https://fal.run/fal-ai/flux/dev", 403, "path_not_allowed"),
        ("GET", "https://v3.fal.media/files/b/abc.png", 403, "path_not_allowed"),
        ("POST", "http://127.0.0.1:9998/fal-ai/flux/dev", 403, "host_not_allowed"),
        ("POST", "https://queue.fal.run:99999/fal-ai/flux/dev", 400, "bad_request"),
        ("POST", "https://queue.fal.run:abc/fal-ai/flux/dev", 400, "bad_request"),
        ("GET", "http://127.0.0.1:99999/fal-ai/flux/requests/r1/status", 400, "bad_request"),
    ],
)
def test_everything_else_is_refused_with_its_status(
    method: str, url: str, status: int, error_type: str
) -> None:
    with pytest.raises(Refusal) as caught:
        classify(method, url, LOCAL)
    assert (caught.value.status, caught.value.error_type) == (status, error_type)


def test_allow_list_matches_full_ids_and_app_prefixes() -> None:
    allow = ("fal-ai/flux/*", "fal-ai/imagen4/preview")
    assert classify("POST", "https://queue.fal.run/fal-ai/flux/dev", FAL, allow).kind == "submit"
    assert classify("POST", "https://queue.fal.run/fal-ai/imagen4/preview", FAL, allow)
    status = "https://queue.fal.run/fal-ai/imagen4/requests/r/status"
    assert classify("GET", status, FAL, allow).kind == "request"
    for method, url in [
        ("POST", "https://queue.fal.run/fal-ai/flux-pro/v1.1"),
        ("POST", "https://queue.fal.run/fal-ai/imagen4/ultra"),
        ("POST", "https://fal.run/fal-ai/veo3"),
        ("GET", "https://queue.fal.run/fal-ai/veo3/requests/r/status"),
    ]:
        with pytest.raises(Refusal) as caught:
            classify(method, url, FAL, allow)
        assert caught.value.status == 403
        assert caught.value.error_type == "endpoint_not_allowed"


def test_upstream_maps_fal_hosts_onto_one_base_and_back() -> None:
    submit = classify("POST", "https://queue.fal.run/fal-ai/flux/dev", LOCAL)
    assert LOCAL.url_for(submit) == "http://127.0.0.1:9999/fal-ai/flux/dev"
    # a status_url the local server returned points at itself: it is a queue call, not a new host
    own = classify("GET", "http://127.0.0.1:9999/fal-ai/flux/requests/r1/status", LOCAL)
    assert (own.kind, own.host, own.request_id) == ("request", "queue.fal.run", "r1")
    upload = classify("POST", "https://v3.fal.media/files/upload", LOCAL)
    assert LOCAL.url_for(upload) == "http://127.0.0.1:9999/files/upload"
    with pytest.raises(ValueError, match="http"):
        Upstream("ftp://x")


def test_stream_path_of_an_endpoint_whose_id_ends_in_stream() -> None:
    allow = ("fal-ai/flux-krea-lora/stream",)
    url = "https://fal.run/fal-ai/flux-krea-lora/stream/stream"
    assert classify("POST", url, FAL, allow).kind == "stream"
    assert classify("POST", "https://fal.run/fal-ai/flux-krea-lora/stream", FAL, allow)
    with pytest.raises(Refusal):
        classify("POST", "https://fal.run/fal-ai/flux-krea-lora/other/stream", FAL, allow)


@pytest.mark.parametrize(
    "base",
    ["https://queue.fal.run", "https://queue.fal.run/", "https://fal.run", "https://rest.fal.ai"],
)
def test_a_fal_host_as_upstream_means_real_fal_not_one_base(base: str) -> None:
    upstream = Upstream(base)
    assert upstream.is_fal and upstream.base is None and not upstream.local
    for method, url in [
        ("POST", "https://queue.fal.run/fal-ai/flux/dev"),
        ("POST", "https://fal.run/fal-ai/flux/dev"),
        ("POST", "https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3"),
        ("POST", "https://v3.fal.media/files/upload"),
        ("PUT", "https://v3.fal.media/files/b/abc.bin/multipart/up1/3"),
    ]:
        assert upstream.url_for(classify(method, url, upstream)) == url
    with pytest.raises(ValueError, match="https"):
        Upstream("http://queue.fal.run")


def test_local_and_remote_upstreams_are_told_apart() -> None:
    assert Upstream("http://127.0.0.1:8765").local
    assert Upstream("http://localhost:8765").local
    remote = Upstream("https://gpu-box.example:8765")
    assert not remote.local and not remote.is_fal
    for bad in ("http://127.0.0.1:99999", "http://[::1"):
        with pytest.raises(ValueError, match="not a valid URL"):
            Upstream(bad)
