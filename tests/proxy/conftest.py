"""Proxy fixtures: a recording fake fal upstream and a proxy (TestClient) in front of it."""

from __future__ import annotations

from collections.abc import Callable, Iterator

import httpx
import pytest
from proxy_fakes import ALICE, BOB, KEY, FakeFal

from falwidgets.proxy import ProxyConfig, ProxyServer


@pytest.fixture
def fake_fal() -> FakeFal:
    return FakeFal()


@pytest.fixture
def make_proxy(fake_fal: FakeFal) -> Iterator[Callable[..., httpx.Client]]:
    """``make_proxy(**config)`` -> an httpx client on a running proxy whose upstream is fake."""
    started: list[tuple[ProxyServer, httpx.Client]] = []

    def make(**options: object) -> httpx.Client:
        options.setdefault("tokens", {ALICE: "alice", BOB: "bob"})
        options.setdefault("key", KEY)
        config = ProxyConfig(**options)  # type: ignore[arg-type]
        server = ProxyServer(config, transport=httpx.MockTransport(fake_fal)).start()
        client = httpx.Client(base_url=server.url, timeout=10)
        client.proxy_server = server  # type: ignore[attr-defined]
        started.append((server, client))
        return client

    yield make
    for server, client in started:
        client.close()
        server.stop()
