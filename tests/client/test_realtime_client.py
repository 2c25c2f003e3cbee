"""Our realtime client against the local server: latest input wins, idle TIMEOUT reconnects,
token refresh, typed errors, deadlines, and no key in URLs or reprs."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from typing import Any

import pytest

from falwidgets import AsyncClient, Client
from falwidgets.client import (
    DeadlineExceeded,
    InputRejected,
    NotFound,
    RealtimeError,
)
from realtime_util import ECHO_TIMEOUT, GATE, STARTED, realtime_test_endpoints, wait_until


@pytest.fixture(scope="module", autouse=True)
def _endpoints() -> Iterator[None]:
    with realtime_test_endpoints():
        yield


@pytest.fixture()
def client(local_server: Any) -> Iterator[Client]:
    with Client(base_url=local_server.url, journal=False) as client:
        yield client


def test_round_trip_with_timings_and_latency(client: Client) -> None:
    with client.realtime("fal-ai/fast-lcm-diffusion", throttle=0) as rt:
        rt.send({"prompt": "a red fox", "seed": 3})
        frame = rt.recv(timeout=10)
        assert frame.data["prompt"] == "a red fox"
        assert frame.input == {"prompt": "a red fox", "seed": 3}
        assert frame.data["images"][0]["url"].startswith("data:image/jpeg;base64,")
        assert frame.latency > 0
        wait_until(lambda: frame.timing is not None, 5, "the timings frame")
        assert 0 < frame.timing <= frame.latency
        assert rt.connections == 1 and rt.token_mints == 1


def test_slow_consumer_keeps_only_the_latest_input(client: Client) -> None:
    GATE.clear()
    STARTED.clear()
    try:
        with client.realtime("test/rt-gated", throttle=0) as rt:
            rt.send({"prompt": "first"})
            assert STARTED.wait(10)  # "first" is in flight on the server
            for index in range(20):  # a fast typist: only the newest may be sent next
                rt.send({"prompt": f"edit {index}"})
            assert rt.dropped_inputs == 19
            GATE.set()
            answers = [rt.recv(timeout=10).data["prompt"], rt.recv(timeout=10).data["prompt"]]
            assert answers == ["first", "edit 19"]
            with pytest.raises(DeadlineExceeded):
                rt.recv(timeout=0.3)  # nothing else was sent: no backlog
    finally:
        GATE.set()


def test_throttle_collapses_a_burst_into_leading_and_trailing_sends(client: Client) -> None:
    GATE.set()  # rt-gated answers at once; its sessions do not idle out during the interval
    with client.realtime("test/rt-gated", throttle=1.0) as rt:
        for index in range(10):
            rt.send({"prompt": f"burst {index}"})
        first, last = rt.recv(timeout=10), rt.recv(timeout=10)
        assert (first.data["prompt"], last.data["prompt"]) == ("burst 0", "burst 9")
        assert rt.dropped_inputs == 8


def test_idle_timeout_then_send_reconnects_with_a_refreshed_token(client: Client) -> None:
    # a 1 s token is past 90 % of its life by the time the 0.5 s idle TIMEOUT has closed the
    # socket and the reconnect happens, so the reconnect must mint a new one
    with client.realtime("test/rt-echo", throttle=0, token_expiration=1) as rt:
        rt.send({"prompt": "before"})
        assert rt.recv(timeout=10).data["prompt"] == "before"
        wait_until(lambda: rt.timeouts == 1 and not rt.connected, 10, "the idle TIMEOUT")
        refresh_at = rt._session._token[1]  # 90 % of the token's life
        wait_until(lambda: time.monotonic() >= refresh_at, 5, "the token's refresh point")
        rt.send({"prompt": "after"})
        assert rt.recv(timeout=10).data["prompt"] == "after"
        assert rt.connections == 2 and rt.token_mints == 2
    assert ECHO_TIMEOUT < 1


def test_validation_error_is_typed_and_the_session_goes_on(client: Client) -> None:
    with client.realtime("test/rt-echo", throttle=0) as rt:
        rt.send({"seed": 1})
        with pytest.raises(InputRejected) as info:
            rt.recv(timeout=10)
        assert info.value.errors[0]["loc"][-1] == "prompt"
        rt.send({"prompt": "fixed"})
        assert rt.recv(timeout=10).data["prompt"] == "fixed"
        assert rt.connections == 1


def test_internal_error_raises_then_next_send_reconnects(client: Client) -> None:
    with client.realtime("test/rt-boom", throttle=0) as rt:
        rt.send({"prompt": "x"})
        with pytest.raises(RealtimeError) as info:
            rt.recv(timeout=10)
        assert info.value.error == "INTERNAL_ERROR" and "cannot draw x" in str(info.value)
        wait_until(lambda: not rt.connected, 5, "the server to close the failed session")
        rt.send({"prompt": "y"})
        with pytest.raises(RealtimeError):
            rt.recv(timeout=10)
        assert rt.connections == 2


def test_refused_handshakes_are_typed(client: Client) -> None:
    with pytest.raises(NotFound) as info:
        client.realtime("test/not-realtime").__enter__()
    assert "no realtime route" in str(info.value)
    with pytest.raises(NotFound):
        client.realtime("fal-ai/no-such-app").__enter__()


def test_bad_arguments_fail_early(client: Client) -> None:
    with pytest.raises(ValueError, match="max_buffering"):
        client.realtime("test/rt-echo", max_buffering=0)
    with pytest.raises(ValueError, match="throttle"):
        client.realtime("test/rt-echo", throttle=-1)
    with pytest.raises(ValueError, match="endpoint"):
        client.realtime("no slash")
    with client.realtime("test/rt-echo") as rt:
        with pytest.raises(TypeError, match="dict"):
            rt.send(["not", "a", "dict"])  # type: ignore[arg-type]
        with pytest.raises(TypeError, match="msgpack"):
            rt.send({"prompt": object()})
    with pytest.raises(RealtimeError, match="closed"):
        rt.send({"prompt": "after close"})


def test_key_never_in_socket_url_or_repr(local_server: Any) -> None:
    key = "my-secret-key:abcdef123456"
    with (
        Client(key=key, base_url=local_server.url, journal=False) as client,
        client.realtime("test/rt-echo", throttle=0) as rt,
    ):
        rt.send({"prompt": "k"})
        rt.recv(timeout=10)
        token = rt._session._token[0]
        url = rt._session._url(token)
        assert key not in url and "abcdef123456" not in url and "fal_jwt_token=" in url
        assert key not in repr(rt) and token not in repr(rt)


def test_async_client_realtime(local_server: Any) -> None:
    async def main() -> list[str]:
        client = AsyncClient(base_url=local_server.url, journal=False)
        try:
            async with client.realtime("fal-ai/flux-2/klein/realtime", path="") as rt:
                await rt.send({"prompt": "async one", "seed": 2})
                one = await rt.recv(timeout=10)
                await rt.send({"prompt": "async two", "seed": 2})
                two = await rt.recv(timeout=10)
                assert isinstance(one.data["images"][0]["content"], bytes)
                assert one.data["images"][0]["content"] != two.data["images"][0]["content"]
                return [one.input["prompt"], two.input["prompt"]]
        finally:
            await client.aclose()

    assert asyncio.run(main()) == ["async one", "async two"]


def test_unreachable_server_is_a_clear_error() -> None:
    client = Client(base_url="http://127.0.0.1:9", journal=False)
    with pytest.raises(RealtimeError, match="TOKEN_UNREACHABLE"):
        client.realtime("test/rt-echo").__enter__()
    client.close()


def test_send_on_a_socket_that_just_closed_is_resent_once(local_server: Any) -> None:
    """The idle TIMEOUT can close the socket between our check and our send: the input must go
    out once on a fresh connection, not be lost or doubled."""
    from websockets.asyncio.client import connect

    async def main() -> None:
        client = AsyncClient(base_url=local_server.url, journal=False)
        try:
            async with client.realtime("test/rt-gated", throttle=0) as rt:
                GATE.set()
                stale = await connect(rt._url(rt._token[0]))  # a socket that is already closed
                await stale.close()
                rt._ws = stale
                await rt.send({"prompt": "resent"})
                frame = await rt.recv(timeout=10)
                assert frame.data["prompt"] == "resent" and frame.input == {"prompt": "resent"}
                with pytest.raises(DeadlineExceeded):
                    await rt.recv(timeout=0.3)  # sent once: no second frame
                assert rt.connections == 2
        finally:
            await client.aclose()

    asyncio.run(main())
