"""The local server's realtime WebSocket and token routes, driven by the official fal_client and
by a bare `websockets` socket (fal-platform.md section 3)."""

from __future__ import annotations

import asyncio
import base64
import io
import json
from collections.abc import Iterator
from typing import Any

import fal_client
import httpx
import msgpack
import pytest
from PIL import Image
from websockets.exceptions import ConnectionClosedOK, InvalidStatus
from websockets.sync.client import connect

from falwidgets.server import point_fal_client, serve
from realtime_util import GATE, STARTED, realtime_test_endpoints, wait_until


@pytest.fixture(scope="module", autouse=True)
def _endpoints() -> Iterator[None]:
    with realtime_test_endpoints():
        yield


@pytest.fixture()
def fal(local_server: Any) -> Iterator[Any]:
    with point_fal_client(local_server.url):
        yield fal_client


def mint(server: Any, apps: list[str], ttl: int = 120) -> str:
    response = httpx.post(
        f"{server.url}/tokens/", json={"allowed_apps": apps, "token_expiration": ttl}
    )
    response.raise_for_status()
    token = response.json()
    assert isinstance(token, str) and token.count(".") == 2  # a JWT, as fal answers
    return token


def ws_url(server: Any, path: str, token: str | None, **query: str) -> str:
    params = {"fal_jwt_token": token, **query} if token else query
    qs = "&".join(f"{k}={v}" for k, v in params.items())
    return f"{server.url.replace('http', 'ws', 1)}/run/{path}" + (f"?{qs}" if qs else "")


def refused(url: str) -> tuple[int, str]:
    with pytest.raises(InvalidStatus) as info:
        connect(url, open_timeout=5)
    response = info.value.response
    return response.status_code, json.loads(response.body or b"{}").get("detail", "")


def jpeg_size(data: bytes) -> tuple[int, int]:
    picture = Image.open(io.BytesIO(data))
    assert picture.format == "JPEG"
    return picture.size


def test_fal_client_realtime_round_trip(fal: Any) -> None:
    with fal.realtime("fal-ai/fast-lcm-diffusion") as connection:
        connection.send({"prompt": "a lighthouse at dusk", "seed": 7})
        first = connection.recv()
        connection.send({"prompt": "a lighthouse at dawn", "seed": 7})
        second = connection.recv()
    assert first["prompt"] == "a lighthouse at dusk" and first["seed"] == 7
    assert second["prompt"] == "a lighthouse at dawn"
    url = first["images"][0]["url"]
    assert url.startswith("data:image/jpeg;base64,")
    assert jpeg_size(base64.b64decode(url.split(",", 1)[1])) == (512, 512)
    assert first["images"][0]["url"] != second["images"][0]["url"]  # the prompt changes the picture


def test_fal_client_klein_both_url_forms_and_async(fal: Any) -> None:
    # fal_client appends /realtime without de-duplication: .../klein/realtime/realtime
    with fal.realtime("fal-ai/flux-2/klein/realtime") as connection:
        connection.send({"prompt": "gold and sapphire", "seed": 1})
        doubled = connection.recv()
    with fal.realtime("fal-ai/flux-2/klein/realtime", path="") as connection:
        connection.send({"prompt": "gold and sapphire", "seed": 1})
        bare = connection.recv()
    assert doubled["images"][0]["content"] == bare["images"][0]["content"]  # deterministic
    assert jpeg_size(bare["images"][0]["content"]) == (512, 512)

    async def run_async() -> dict[str, Any]:
        async with fal.realtime_async("fal-ai/flux-2/klein", path="/realtime") as connection:
            await connection.send({"prompt": "other", "seed": 1})
            return await connection.recv()

    other = asyncio.run(run_async())
    assert other["images"][0]["content"] != bare["images"][0]["content"]


def test_fal_client_ws_connect_raw_socket(fal: Any) -> None:
    with fal.ws_connect("fal-ai/fast-lcm-diffusion", path="/realtime") as ws:
        ws.send(msgpack.packb({"prompt": "raw"}, use_bin_type=True))
        output = msgpack.unpackb(ws.recv(timeout=10))
        timings = json.loads(ws.recv(timeout=10))
    assert output["prompt"] == "raw"
    assert timings["type"] == "x-fal-message" and timings["action"] == "timings"
    assert timings["timing"] > 0


def test_new_token_route_and_full_app_scope(local_server: Any) -> None:
    response = httpx.post(
        f"{local_server.url}/tokens/realtime",
        json={"allowed_apps": ["fal-ai/fast-lcm-diffusion/realtime"], "duration": 60},
    )
    body = response.json()
    assert response.status_code == 200 and body["expires_at"] > 0
    with connect(ws_url(local_server, "fal-ai/fast-lcm-diffusion/realtime", body["token"])) as ws:
        ws.send(msgpack.packb({"prompt": "scoped"}))
        assert msgpack.unpackb(ws.recv(timeout=10))["prompt"] == "scoped"


def test_tokens_refused_expired_foreign_wrong_app_missing(local_server: Any) -> None:
    path = "fal-ai/fast-lcm-diffusion/realtime"
    with serve(port=0) as other:  # another server's secret: a foreign token
        foreign = mint(other, ["fast-lcm-diffusion"])
    status, detail = refused(ws_url(local_server, path, foreign))
    assert status == 401 and "not issued by this server" in detail
    status, detail = refused(ws_url(local_server, path, mint(local_server, ["rt-echo"])))
    assert status == 403 and "does not allow" in detail
    status, detail = refused(ws_url(local_server, path, None))
    assert status == 401 and "fal_jwt_token" in detail
    status, _ = refused(ws_url(local_server, path, "not-a-jwt"))
    assert status == 401

    short = mint(local_server, ["fast-lcm-diffusion"], ttl=1)
    with connect(ws_url(local_server, path, short)) as ws:  # valid while fresh
        ws.send(msgpack.packb({"prompt": "fresh"}))
        assert msgpack.unpackb(ws.recv(timeout=10))["prompt"] == "fresh"

    def expired() -> bool:
        try:
            with connect(ws_url(local_server, path, short), open_timeout=5):
                return False
        except InvalidStatus as exc:
            return exc.response.status_code == 401 and b"expired" in (exc.response.body or b"")

    wait_until(expired, timeout=5, what="the 1 s token to be refused as expired")


def test_token_requests_validated(local_server: Any) -> None:
    bad = [
        {},
        {"allowed_apps": []},
        {"allowed_apps": "fast-lcm-diffusion"},
        {"allowed_apps": ["x"], "token_expiration": 0},
        {"allowed_apps": ["x"], "token_expiration": "soon"},
    ]
    for body in bad:
        response = httpx.post(f"{local_server.url}/tokens/", json=body)
        assert response.status_code == 400, body
        assert response.json()["detail"]


def test_unknown_non_realtime_and_bad_buffering_refused(local_server: Any) -> None:
    token = mint(local_server, ["fast-lcm-diffusion", "not-realtime", "nope"])
    status, detail = refused(ws_url(local_server, "fal-ai/nope/realtime", token))
    assert status == 404 and "no endpoint" in detail
    status, detail = refused(ws_url(local_server, "test/not-realtime/realtime", token))
    assert status == 404 and "no realtime route" in detail
    status, detail = refused(ws_url(local_server, "fal-ai/fast-lcm-diffusion/other", token))
    assert status == 404 and "/realtime" in detail
    url = ws_url(local_server, "fal-ai/fast-lcm-diffusion/realtime", token, max_buffering="61")
    status, detail = refused(url)
    assert status == 400 and "max_buffering" in detail


def test_idle_session_gets_timeout_frame_then_normal_close(local_server: Any) -> None:
    token = mint(local_server, ["rt-echo"])
    with connect(ws_url(local_server, "test/rt-echo/realtime", token)) as ws:
        ws.send(msgpack.packb({"prompt": "once"}))
        answer = msgpack.unpackb(ws.recv(timeout=10))
        assert answer == {"prompt": "once", "seed": 0, "blob": b"\x00\x01"}  # bytes stay binary
        assert json.loads(ws.recv(timeout=10))["action"] == "timings"
        control = json.loads(ws.recv(timeout=10))  # nothing more sent: the idle timeout
        assert control == {
            "type": "x-fal-error",
            "error": "TIMEOUT",
            "reason": "no inputs, reconnect when needed!",
        }
        with pytest.raises(ConnectionClosedOK):
            ws.recv(timeout=10)
        assert ws.close_code == 1000


def test_validation_error_keeps_session_and_json_text_input(local_server: Any) -> None:
    token = mint(local_server, ["rt-echo"])
    with connect(ws_url(local_server, "test/rt-echo/realtime", token)) as ws:
        ws.send(msgpack.packb({"seed": 3}))  # prompt missing
        error = json.loads(ws.recv(timeout=10))
        assert error["type"] == "x-fal-error" and error["error"] == "VALIDATION_ERROR"
        assert error["detail"][0]["loc"][-1] == "prompt"
        ws.send(json.dumps({"prompt": "as json"}))  # the JS client may send JSON text
        assert msgpack.unpackb(ws.recv(timeout=10))["prompt"] == "as json"


def test_internal_error_frame_then_close_1011(local_server: Any) -> None:
    token = mint(local_server, ["rt-boom"])
    with connect(ws_url(local_server, "test/rt-boom/realtime", token)) as ws:
        ws.send(msgpack.packb({"prompt": "<b>x</b>"}))
        error = json.loads(ws.recv(timeout=10))
        assert error["error"] == "INTERNAL_ERROR" and "cannot draw <b>x</b>" in error["reason"]
        with pytest.raises(Exception):  # noqa: B017 - closed with 1011, not OK
            ws.recv(timeout=10)
        assert ws.close_code == 1011


def test_max_buffering_drops_oldest_inputs(local_server: Any) -> None:
    token = mint(local_server, ["rt-gated"])
    GATE.clear()
    STARTED.clear()
    url = ws_url(local_server, "test/rt-gated/realtime", token, max_buffering="1")
    try:
        with connect(url) as ws:
            ws.send(msgpack.packb({"prompt": "p0"}))
            assert STARTED.wait(10)  # p0 is being processed; 1..5 go through a 1-slot buffer
            for index in range(1, 6):
                ws.send(msgpack.packb({"prompt": f"p{index}"}))
            ws.ping().wait(5)  # the server read every frame before answering this ping
            GATE.set()
            prompts = []
            while not prompts or prompts[-1] != "p5":
                message = ws.recv(timeout=10)
                if isinstance(message, bytes):
                    prompts.append(msgpack.unpackb(message)["prompt"])
    finally:
        GATE.set()
    assert prompts == ["p0", "p5"]


def test_realtime_demos_also_answer_through_the_queue(local_server: Any) -> None:
    from falwidgets import Client

    with Client(base_url=local_server.url, journal=False) as client:
        klein = client.subscribe("fal-ai/flux-2/klein/realtime", {"prompt": "q"}, timeout=30)
        lcm = client.subscribe("fal-ai/fast-lcm-diffusion", {"prompt": "q"}, timeout=30)
    picture = httpx.get(klein["images"][0]["url"], timeout=10)
    assert jpeg_size(picture.content) == (512, 512)  # JSON answers carry a file URL, not bytes
    assert lcm["images"][0]["url"].startswith("data:image/jpeg;base64,")


def test_hostile_frames_get_validation_errors_and_the_session_survives(local_server: Any) -> None:
    token = mint(local_server, ["rt-echo"])
    hostile: list[bytes | str] = [
        b"\xc1\xff\x00",  # not msgpack
        msgpack.packb([1, 2, 3]),  # not an object
        msgpack.packb({"prompt": {"nested": [1] * 1000}}),
        msgpack.packb({"prompt": float("nan")}),
        msgpack.packb("just a string"),
        "{broken json",
        "<script>alert(1)</script>",
    ]
    with connect(ws_url(local_server, "test/rt-echo/realtime", token)) as ws:
        for frame in hostile:
            ws.send(frame)
            error = json.loads(ws.recv(timeout=10))
            assert error["type"] == "x-fal-error" and error["error"] == "VALIDATION_ERROR", frame
        ws.send(msgpack.packb({"prompt": "still alive"}))
        assert msgpack.unpackb(ws.recv(timeout=10))["prompt"] == "still alive"
