"""Shard choice: calls one after another reuse one warm connection; concurrent calls spread out;
every request in flight is given back, streamed or not, failed or not."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

from falwidgets.client import AsyncClient, Client
from falwidgets.client._pool import Pool

FLUX = "fal-ai/flux-realism"
ARGS = {"prompt": "a pool", "num_inference_steps": 1, "image_size": "square"}


def _connections(pool: Pool[Any], url: str) -> list[int]:
    """Open connections per shard (httpcore's public ``connections`` of the transport for url)."""
    target = httpx.URL(url)
    return [len(c._transport_for_url(target)._pool.connections) for c in pool.clients]


def _idle(pool: Pool[Any]) -> bool:
    return not any(pool._busy) and not pool._held


def test_calls_one_after_another_reuse_the_first_shard(local_server: Any) -> None:
    with Client(base_url=local_server.url, journal=False) as client:
        for _ in range(4):
            assert "images" in client.subscribe(FLUX, ARGS, timeout=60)
        http, streams = (_connections(p, local_server.url) for p in (client._http, client._streams))
        assert http == [1] + [0] * (len(client._http.clients) - 1)
        assert streams[0] == 1 and sum(streams) == 1
        assert _idle(client._http) and _idle(client._streams)


def test_concurrent_calls_spread_over_shards_and_are_all_given_back(local_server: Any) -> None:
    async def main() -> None:
        async with AsyncClient(base_url=local_server.url, journal=False) as client:
            outs = await asyncio.gather(
                *(client.subscribe(FLUX, ARGS, timeout=60) for _ in range(8))
            )
            assert all("images" in out for out in outs)
            assert sum(1 for n in _connections(client._streams, local_server.url) if n) >= 4
            assert _idle(client._http) and _idle(client._streams)

    asyncio.run(main())


def test_failures_give_their_shard_back() -> None:
    def refuse(request: httpx.Request) -> httpx.Response:
        raise httpx.ConnectError("refused", request=request)

    pool = Pool(lambda: httpx.Client(transport=httpx.MockTransport(refuse)), shards=3)
    request = httpx.Request("GET", "http://x/")
    for _ in range(5):
        with pytest.raises(httpx.ConnectError):
            pool.send(request)
    assert _idle(pool)


def test_least_busy_first_on_a_tie_and_streams_held_until_released() -> None:
    pool = Pool(
        lambda: httpx.Client(transport=httpx.MockTransport(lambda r: httpx.Response(200))), 3
    )
    request = httpx.Request("GET", "http://x/")
    held = [pool.send(request, stream=True) for _ in range(2)]
    assert pool._busy == [1, 1, 0]
    pool.send(request)  # a plain call goes to the free shard and comes straight back
    assert pool._busy == [1, 1, 0]
    pool.release(held[0])
    assert pool._busy == [0, 1, 0]
    third = pool.send(request, stream=True)
    assert pool._busy == [1, 1, 0]  # the first free shard, not the next in turn
    for response in (held[1], third):
        pool.release(response)
    pool.release(third)  # twice is harmless
    assert _idle(pool)
