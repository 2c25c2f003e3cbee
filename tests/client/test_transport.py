"""HTTP options reach httpx as httpx means them; the opt-in sharded transports spread the load."""

from __future__ import annotations

import asyncio
import threading
from typing import Any

import httpx
import pytest
from client_fakes import BASE, submitted

from falwidgets.client import (
    AsyncClient,
    AsyncShardedTransport,
    Client,
    ShardedTransport,
)


def _ok(request: httpx.Request) -> httpx.Response:
    if request.method == "POST":
        return httpx.Response(200, json=submitted())
    return httpx.Response(200, json={"status": "COMPLETED", "logs": []})


def test_event_hooks_see_every_request_and_response() -> None:
    seen: list[str] = []
    hooks = {
        "request": [lambda r: seen.append(f"> {r.method} {r.url.path}")],
        "response": [lambda r: seen.append(f"< {r.status_code}")],
    }
    with Client(base_url=BASE, transport=httpx.MockTransport(_ok), event_hooks=hooks) as client:
        client.submit("fal-ai/flux", {})
    assert seen == ["> POST /fal-ai/flux", "< 200"]


def test_async_event_hooks_are_awaited() -> None:
    seen: list[str] = []

    async def hook(request: httpx.Request) -> None:
        seen.append(request.headers["user-agent"])

    async def main() -> None:
        async with AsyncClient(
            base_url=BASE, transport=httpx.MockTransport(_ok), event_hooks={"request": [hook]}
        ) as client:
            await client.handle("fal-ai/flux", "req-1").status()

    asyncio.run(main())
    assert len(seen) == 1 and seen[0].startswith("falwidgets/")


def test_a_bad_option_fails_before_any_pool_exists() -> None:
    with pytest.raises(ValueError, match="wait"):
        Client(base_url=BASE, wait=0)


def _recorders(transport: Any) -> list[list[str]]:
    """Replace each shard's pool by a MockTransport that records what it was sent."""
    logs: list[list[str]] = []
    for index in range(len(transport.transports)):
        log: list[str] = []
        logs.append(log)

        def handler(request: httpx.Request, log: list[str] = log) -> httpx.Response:
            log.append(request.url.path)
            return httpx.Response(200, json={"ok": True})

        transport.transports[index] = httpx.MockTransport(handler)
    return logs


def test_sequential_calls_reuse_the_first_shard() -> None:
    transport = ShardedTransport(shards=3)
    logs = _recorders(transport)
    with httpx.Client(transport=transport) as http:
        for n in range(5):
            assert http.get(f"{BASE}/{n}").json() == {"ok": True}
    assert [len(log) for log in logs] == [5, 0, 0]


def test_open_streams_hold_their_shard_until_closed() -> None:
    transport = ShardedTransport(shards=3)
    logs = _recorders(transport)
    with httpx.Client(transport=transport) as http:
        first = http.send(http.build_request("GET", f"{BASE}/a"), stream=True)
        second = http.send(http.build_request("GET", f"{BASE}/b"), stream=True)
        http.get(f"{BASE}/c")  # the third shard is the only idle one
        first.close()
        http.get(f"{BASE}/d")  # the first shard is free again
        second.close()
    assert logs == [["/a", "/d"], ["/b"], ["/c"]]


def test_concurrent_async_calls_spread_over_shards() -> None:
    transport = AsyncShardedTransport(shards=4)
    logs: list[list[str]] = [[] for _ in transport.transports]

    async def main() -> None:
        gate = asyncio.Event()  # every request waits until all four are in flight
        started = 0

        async def handler(request: httpx.Request) -> httpx.Response:
            nonlocal started
            started += 1
            if started == 4:
                gate.set()
            await gate.wait()
            return httpx.Response(200, json={"ok": True})

        for index, log in enumerate(logs):

            async def recording(request: httpx.Request, log: list[str] = log) -> httpx.Response:
                log.append(request.url.path)
                return await handler(request)

            transport.transports[index] = httpx.MockTransport(recording)
        async with httpx.AsyncClient(transport=transport) as http:
            await asyncio.wait_for(asyncio.gather(*(http.get(f"{BASE}/{n}") for n in range(4))), 10)

    asyncio.run(main())
    assert [len(log) for log in logs] == [1, 1, 1, 1]


def test_a_failed_send_gives_its_shard_back() -> None:
    transport = ShardedTransport(shards=2)
    second = _recorders(transport)[1]
    refused: list[str] = []

    def refuse(request: httpx.Request) -> httpx.Response:
        refused.append(request.url.path)
        raise httpx.ConnectError("refused", request=request)

    transport.transports[0] = httpx.MockTransport(refuse)
    with httpx.Client(transport=transport) as http:
        for _ in range(2):
            with pytest.raises(httpx.ConnectError):
                http.get(f"{BASE}/x")
    # both went to the first shard: the failure did not leave it counted as busy
    assert refused == ["/x", "/x"] and second == []


def test_clients_accept_the_sharded_transports(local_server: Any) -> None:
    with Client(base_url=local_server.url, transport=ShardedTransport(shards=2)) as client:
        out = client.subscribe("fal-ai/flux-realism", {"prompt": "x", "num_inference_steps": 2})
    assert out["images"]

    async def main() -> Any:
        transport = AsyncShardedTransport(shards=2)
        async with AsyncClient(base_url=local_server.url, transport=transport) as client:
            jobs = [
                client.subscribe(
                    "fal-ai/flux-realism", {"prompt": f"{n}", "num_inference_steps": 2}
                )
                for n in range(3)
            ]
            return await asyncio.gather(*jobs)

    assert all(out["images"] for out in asyncio.run(main()))


def test_shards_must_be_positive() -> None:
    with pytest.raises(ValueError, match="shards"):
        ShardedTransport(shards=0)


def test_a_sync_sharded_transport_is_safe_across_threads() -> None:
    transport = ShardedTransport(shards=4)
    logs = _recorders(transport)
    with httpx.Client(transport=transport) as http:
        threads = [
            threading.Thread(target=lambda n=n: [http.get(f"{BASE}/{n}") for _ in range(25)])
            for n in range(4)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    assert sum(len(log) for log in logs) == 100
