"""Realtime sockets through the workshop proxy, with the local server as upstream: only allowed
apps, only tokens the proxy minted, and frames counted against the student's budget."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx
import msgpack
import pytest
from websockets.exceptions import InvalidStatus
from websockets.sync.client import connect

from falwidgets import Client
from falwidgets.client import AuthError, RateLimited, RealtimeError
from falwidgets.proxy import ProxyServer, serve_proxy

STUDENT = "fwt_realtime_student_1"
OTHER = "fwt_realtime_student_2"
LCM = "fal-ai/fast-lcm-diffusion"


def start(local_server: Any, **options: Any) -> ProxyServer:
    options.setdefault("allow", [LCM])
    return serve_proxy(
        {STUDENT: "student-1", OTHER: "student-2"},
        upstream=local_server.url,
        key="local-server-needs-no-key",
        **options,
    )


@pytest.fixture()
def proxy(local_server: Any) -> Iterator[ProxyServer]:
    with start(local_server, budget=20) as server:
        yield server


def student(proxy: ProxyServer, token: str = STUDENT) -> Client:
    return Client(key=token, proxy_url=proxy.url, journal=False)


def mint_via(proxy: ProxyServer, apps: list[str], token: str = STUDENT) -> httpx.Response:
    return httpx.post(
        proxy.url,
        headers={
            "x-fal-target-url": "https://rest.fal.ai/tokens/",
            "authorization": f"Key {token}",
        },
        json={"allowed_apps": apps, "token_expiration": 60},
        timeout=10,
    )


def socket_url(proxy: ProxyServer, path: str, token: str) -> str:
    return f"{proxy.url.replace('http', 'ws', 1)}/{path}?fal_jwt_token={token}"


def handshake_status(url: str) -> tuple[int, dict[str, Any]]:
    with pytest.raises(InvalidStatus) as info:
        connect(url, open_timeout=5)
    return info.value.response.status_code, json.loads(info.value.response.body or b"{}")


def test_realtime_round_trip_through_the_proxy(proxy: ProxyServer) -> None:
    with student(proxy) as client, client.realtime(LCM, throttle=0) as rt:
        prompts = []
        for index in range(3):
            rt.send({"prompt": f"through the proxy {index}", "seed": index})
            frame = rt.recv(timeout=10)
            prompts.append(frame.data["prompt"])
            assert frame.data["images"][0]["url"].startswith("data:image/jpeg;base64,")
    assert prompts == [f"through the proxy {i}" for i in range(3)]
    usage = proxy.usage()["student-1"]
    assert usage["realtime_tokens"] == 1  # the mint
    assert usage["realtime_units"] == 1  # one started block of 10 inputs
    assert proxy.usage()["student-2"]["realtime_units"] == 0


def test_disallowed_apps_are_refused(proxy: ProxyServer) -> None:
    with student(proxy) as client, pytest.raises(AuthError) as info:
        client.realtime("fal-ai/flux-2/klein/realtime", path="").__enter__()
    assert info.value.status_code == 403 and "not allowed" in str(info.value)
    # a token minted for an allowed app does not open a socket on another one
    token = mint_via(proxy, ["fast-lcm-diffusion"]).json()
    status, body = handshake_status(socket_url(proxy, "fal-ai/flux-2/klein/realtime", token))
    assert status == 403 and body["error_type"] == "endpoint_not_allowed"
    with connect(socket_url(proxy, f"{LCM}/realtime", token), open_timeout=5) as ws:
        ws.send(msgpack.packb({"prompt": "allowed"}))
        assert msgpack.unpackb(ws.recv(timeout=10))["prompt"] == "allowed"


def test_only_tokens_minted_through_the_proxy_open_sockets(
    proxy: ProxyServer, local_server: Any
) -> None:
    direct = httpx.post(
        f"{local_server.url}/tokens/", json={"allowed_apps": ["fast-lcm-diffusion"]}
    ).json()
    status, body = handshake_status(socket_url(proxy, f"{LCM}/realtime", direct))
    assert status == 401 and "not minted through this proxy" in body["detail"]
    status, body = handshake_status(f"{proxy.url.replace('http', 'ws', 1)}/{LCM}/realtime")
    assert status == 401 and body["error_type"] == "missing_token"


def test_spent_budget_stops_the_session_and_refuses_new_ones(local_server: Any) -> None:
    with (
        start(local_server, budget=2, frames_per_unit=3) as proxy,
        student(proxy) as client,
        client.realtime(LCM, throttle=0) as rt,
    ):  # mint = 1 unit, inputs 1-3 = 1 unit: the budget of 2 is spent at the 4th input
        for index in range(3):
            rt.send({"prompt": f"frame {index}"})
            assert rt.recv(timeout=10).data["prompt"] == f"frame {index}"
        rt.send({"prompt": "one too many"})
        with pytest.raises(RealtimeError) as info:
            rt.recv(timeout=10)
        assert info.value.error == "BUDGET_EXHAUSTED"
        usage = proxy.usage()["student-1"]
        assert (usage["realtime_tokens"], usage["realtime_units"]) == (1, 1)
        with pytest.raises(RateLimited) as refused:  # no new token either
            student(proxy).realtime(LCM).__enter__()
        assert refused.value.error_type == "budget_exhausted"
        token = rt._session._token[0]  # the old token no longer opens a socket
        status, body = handshake_status(socket_url(proxy, f"{LCM}/realtime", token))
        assert status == 429 and body["error_type"] == "budget_exhausted"
        # another student's budget is untouched
        with student(proxy, OTHER) as other, other.realtime(LCM, throttle=0) as theirs:
            theirs.send({"prompt": "mine"})
            assert theirs.recv(timeout=10).data["prompt"] == "mine"


def test_frame_blocks_are_counted_across_sessions(local_server: Any) -> None:
    with start(local_server, frames_per_unit=3) as proxy:
        token = mint_via(proxy, ["fast-lcm-diffusion"]).json()
        url = socket_url(proxy, f"{LCM}/realtime", token)

        def units() -> int:
            return proxy.usage()["student-1"]["realtime_units"]

        def one(ws: Any, prompt: str) -> None:
            ws.send(msgpack.packb({"prompt": prompt}))
            while not isinstance(message := ws.recv(timeout=10), bytes):
                pass  # the timings frame
            assert msgpack.unpackb(message)["prompt"] == prompt

        with connect(url, open_timeout=5) as ws:
            one(ws, "a1")
            one(ws, "a2")
        assert units() == 1  # inputs 1-2: the first block
        with connect(url, open_timeout=5) as ws:  # a new session does not start a new block
            one(ws, "b1")
            assert units() == 1
            one(ws, "b2")  # input 4 starts the second block
            assert units() == 2
