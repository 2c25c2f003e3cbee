"""Hostile and heavy input: strict JSON, fuzzed bodies, demo work limits, timers, watcher leaks."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from server_util import submission_count, wait_completed, wait_state

from falwidgets.server import endpoint, serve
from falwidgets.server._json import MAX_DEPTH
from falwidgets.server._limits import DEMO_MAX_STEPS
from falwidgets.server._registry import lookup, unregister

FLUX = "fal-ai/flux-realism"


@pytest.fixture(scope="module")
def quick() -> Iterator[Any]:
    """A private fast server: fuzzing must not queue work in front of other tests."""
    with serve(port=0, workers=2, speed=0.01) as server:
        yield server


# -- strict JSON ------------------------------------------------------------------------------
def _nested(levels: int) -> bytes:
    return b'{"prompt": ' + b"[" * levels + b'"x"' + b"]" * levels + b"}"


BAD_JSON = {
    "nan": b'{"prompt": "x", "seed": NaN}',
    "infinity": b'{"prompt": "x", "guidance_scale": Infinity}',
    "minus-infinity": b'{"prompt": "x", "guidance_scale": -Infinity}',
    "overflowing float": b'{"prompt": "x", "guidance_scale": 1e999}',
    "deep list": b"[" * 100_000 + b"]" * 100_000,
    "deep unclosed": b"[" * 100_000,
    "deep objects": b'{"a":' * 20_000 + b"1" + b"}" * 20_000,
    "too deep for the server": _nested(MAX_DEPTH + 5),
    "int beyond the digit limit": b'{"prompt": "x", "seed": 1' + b"0" * 5000 + b"}",
    "not utf-8": b'{"prompt": "\xff\xfe"}',
}


@pytest.mark.parametrize("name", sorted(BAD_JSON))
def test_bad_json_is_a_422_everywhere(quick: Any, name: str) -> None:
    body = BAD_JSON[name]
    with quick.client() as http:
        for path in (f"/{FLUX}", f"/run/{FLUX}", "/storage/upload/initiate"):
            response = http.post(path, content=body, headers={"content-type": "application/json"})
            assert response.status_code == 422, (path, response.text[:200])
            (item,) = response.json()["detail"]
            assert item["loc"] == ["body"] and item["type"] == "json_invalid"


def test_nesting_within_the_limit_still_validates(quick: Any) -> None:
    response = quick.client().post(f"/{FLUX}", content=_nested(MAX_DEPTH - 2))
    assert response.status_code == 422  # a list is not a prompt: a field error, not bad JSON
    assert response.json()["detail"][0]["loc"] == ["body", "prompt"]


# -- fuzzing ----------------------------------------------------------------------------------
_scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=30),
)
_json = st.recursive(
    _scalars,
    lambda inner: st.one_of(
        st.lists(inner, max_size=4), st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
_size = st.one_of(
    st.sampled_from(["square", "portrait_4_3", "huge", ""]),
    st.fixed_dictionaries({"width": st.integers(), "height": st.integers()}),
    _json,
)
_flux = st.fixed_dictionaries(
    {"prompt": st.one_of(st.text(max_size=40), _scalars)},
    optional={
        "num_inference_steps": st.one_of(st.integers(), st.text(max_size=12)),
        "num_images": st.integers(),
        "seed": st.one_of(st.integers(), _scalars),
        "image_size": _size,
        "output_format": st.sampled_from(["png", "jpeg", "webp", "gif"]),
        "guidance_scale": _scalars,
    },
)
_gamecraft = st.fixed_dictionaries(
    {
        "image": st.one_of(st.fixed_dictionaries({"url": st.text(max_size=30)}), _json),
        "prompt": st.text(max_size=20),
    },
    optional={
        "action_list": st.one_of(st.text(max_size=30), _json.map(json.dumps)),
        "action_speed_list": st.one_of(st.text(max_size=30), _json.map(json.dumps)),
        "infer_steps": st.integers(),
    },
)


def _encode(value: Any) -> bytes:
    return json.dumps(value).encode()


_bodies = st.one_of(
    st.binary(max_size=300),
    _json.map(_encode),
    _flux.map(_encode),
    st.integers(1, 3_000).map(lambda n: b"[" * n * 10),
    st.integers(0, 2_000_000).map(lambda n: b'{"prompt": "' + b"p" * n + b'"}'),
    st.sampled_from(sorted(BAD_JSON.values())),
)


@settings(
    max_examples=120,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    target=st.sampled_from([FLUX, f"run/{FLUX}", "anthonywu/gamecraft", "fal-ai/imagen4/preview"]),
    body=st.one_of(_bodies, _gamecraft.map(_encode)),
    content_type=st.sampled_from(["application/json", "text/plain", ""]),
)
def test_fuzzed_bodies_never_crash_or_hang(
    quick: Any, accepted: list[str], target: str, body: bytes, content_type: str
) -> None:
    headers = {"content-type": content_type} if content_type else {}
    with quick.client(timeout=20) as http:
        response = http.post(f"/{target}", content=body, headers=headers)
    assert response.status_code < 500, response.text[:300]
    assert response.status_code in (200, 400, 404, 422), response.status_code
    if response.status_code == 200 and not target.startswith("run/"):
        accepted.append(response.json()["status_url"])


@pytest.fixture(scope="module")
def accepted(quick: Any) -> Iterator[list[str]]:
    """Status URLs of fuzzed submits that were queued: each must finish, without a crash."""
    urls: list[str] = []
    yield urls
    with quick.client() as http:
        for url in urls:
            final = wait_completed(http, url, deadline=30)
            assert final.get("error_type") in (None, "validation_error"), final


# -- demo work limits -------------------------------------------------------------------------
def test_demo_work_is_bounded_with_field_errors(quick: Any) -> None:
    cases = [
        (FLUX, {"prompt": "x", "num_inference_steps": 10**9}, ["num_inference_steps"]),
        (FLUX, {"prompt": "x", "num_inference_steps": "1000000"}, ["num_inference_steps"]),
        (FLUX, {"prompt": "x", "num_images": 50}, ["num_images"]),
        (
            FLUX,
            {"prompt": "x", "image_size": {"width": 100_000, "height": 64}},
            ["image_size", "width"],
        ),
        (
            "fal-ai/flux-krea-lora/stream",
            {"prompt": "x", "image_size": {"width": 64, "height": 14000}},
            ["image_size", "height"],
        ),
        (
            "fal-ai/toon-crafter",
            {"keyframe_image_urls": ["http://x/a.png"] * 20},
            ["keyframe_image_urls"],
        ),
        (
            "fal-ai/toon-crafter",
            {"keyframe_image_urls": ["http://x/a.png"], "steps": 10**6},
            ["steps"],
        ),
        (
            "anthonywu/gamecraft",
            {"image": {"url": "http://x/a.png"}, "prompt": "p", "infer_steps": -3},
            ["infer_steps"],
        ),
    ]
    with quick.client() as http:
        for endpoint_id, arguments, loc in cases:
            response = http.post(f"/{endpoint_id}", json=arguments)
            assert response.status_code == 422, (endpoint_id, arguments)
            (item,) = response.json()["detail"]
            assert item["loc"] == ["body", *loc]
            assert item["type"] in ("less_than_equal", "greater_than_equal", "too_long")
            assert "demo server limit" in item["msg"]
            assert submission_count(quick, endpoint_id, arguments) == 0  # never queued
        step = http.post(f"/{FLUX}", json={"prompt": "x", "num_inference_steps": 10**9}).json()
        assert step["detail"][0]["ctx"] == {"le": DEMO_MAX_STEPS}
        # within the limits the demo still runs
        ok = http.post(
            f"/run/{FLUX}",
            json={
                "prompt": "x",
                "num_inference_steps": 2,
                "image_size": {"width": 16, "height": 1024},
            },
        )
        assert ok.status_code == 200 and ok.json()["images"][0]["height"] == 1024
        actions = json.dumps(["w"] * 65)
        many = http.post(
            "/run/anthonywu/gamecraft",
            json={"image": {"url": "http://x/a.png"}, "prompt": "p", "action_list": actions},
        )
        assert many.status_code == 422 and many.json()["detail"][0]["type"] == "too_long"


# -- outputs ----------------------------------------------------------------------------------
@pytest.fixture
def nan_endpoint() -> Iterator[str]:
    @endpoint("tests/nan-output")
    def run(inp: Any) -> dict[str, Any]:
        return {"score": float("nan"), "scale": float("inf")}

    yield "tests/nan-output"
    unregister("tests/nan-output")


def test_nan_in_an_output_is_a_clean_failure(quick: Any, nan_endpoint: str) -> None:
    with quick.client() as http:
        submitted = http.post(f"/{nan_endpoint}", json={}).json()
        status = wait_completed(http, submitted["status_url"], deadline=5)
        assert status["error_type"] == "runner_server_error"
        assert "NaN" in status["error"]
        for result in (http.get(submitted["response_url"]), http.post(f"/run/{nan_endpoint}")):
            assert result.status_code == 500
            assert "NaN and Infinity are not allowed" in result.json()["detail"]


# -- timers and watchers ----------------------------------------------------------------------
def test_request_timeout_expires_behind_a_busy_worker() -> None:
    with serve(port=0, workers=1, speed=1.0) as server, server.client() as http:
        blocker = http.post(f"/{FLUX}", json={"prompt": "busy", "num_inference_steps": 2000}).json()
        wait_state(http, blocker["status_url"], "IN_PROGRESS")
        started = time.monotonic()
        late = http.post(
            f"/{FLUX}", json={"prompt": "late"}, headers={"X-Fal-Request-Timeout": "0.3"}
        ).json()
        final = wait_completed(http, late["status_url"], deadline=5)
        assert final["error_type"] == "request_timeout"
        assert time.monotonic() - started < 1.5
        assert http.get(blocker["status_url"]).json()["status"] == "IN_PROGRESS"
        http.put(blocker["cancel_url"])


@pytest.mark.parametrize("raw", ["1e400", "inf", "nan", "-1", "0", "1e10"])
def test_request_timeout_must_be_finite_and_bounded(quick: Any, raw: str) -> None:
    response = quick.client().post(
        f"/{FLUX}", json={"prompt": "t"}, headers={"X-Fal-Request-Timeout": raw}
    )
    assert response.status_code == 400
    assert response.json()["error_type"] == "bad_request"
    assert "X-Fal-Request-Timeout" in response.json()["detail"]


def test_a_far_deadline_does_not_kill_the_expirer() -> None:
    definition = lookup(FLUX)[0]  # type: ignore[index]
    assert definition.input is not None
    with serve(port=0, workers=1, speed=1.0) as server, server.client() as http:
        blocker = http.post(f"/{FLUX}", json={"prompt": "busy", "num_inference_steps": 2000}).json()
        wait_state(http, blocker["status_url"], "IN_PROGRESS")
        inp = definition.input.model_validate({"prompt": "far"})
        server.queue.submit(definition, FLUX, {"prompt": "far"}, inp, start_timeout=float("inf"))
        time.sleep(0.2)
        assert server.queue._expirer.is_alive()
        late = http.post(
            f"/{FLUX}", json={"prompt": "late"}, headers={"X-Fal-Request-Timeout": "0.2"}
        ).json()
        assert wait_completed(http, late["status_url"], deadline=3)["error_type"] == (
            "request_timeout"
        )
        http.put(blocker["cancel_url"])


def test_watchers_stay_bounded_and_go_away_with_the_listener() -> None:
    with serve(port=0, workers=1, speed=1.0) as server, server.client() as http:
        blocker = http.post(f"/{FLUX}", json={"prompt": "busy", "num_inference_steps": 2000}).json()
        queued = http.post(f"/{FLUX}", json={"prompt": "waits"}).json()
        job = server.queue.get(queued["request_id"])
        with http.stream("GET", queued["status_url"] + "/stream") as stream:
            lines = stream.iter_lines()
            assert next(lines).startswith("data: ")
            time.sleep(1.3)  # five 0.25 s wake-ups of the stream loop
            assert server.queue.watcher_count(job) <= 1
        deadline = time.monotonic() + 3
        while server.queue.watcher_count(job) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.queue.watcher_count(job) == 0
        assert "falwidgets_job_watchers 0" in http.get("/metrics").text

        # a synchronous run waiting behind the blocker: its waits do not pile up either
        def run() -> None:
            with pytest.raises(httpx.ReadTimeout):
                httpx.post(f"{server.url}/run/{FLUX}", json={"prompt": "sync"}, timeout=1.8)

        caller = threading.Thread(target=run)
        caller.start()
        time.sleep(1.4)
        assert server.queue.watcher_count() <= 1
        caller.join()
        http.put(blocker["cancel_url"])
        http.put(queued["cancel_url"])
