"""Fixtures for client tests (helpers live in ``client_fakes``)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from client_fakes import BASE, FAST, Recorder

from falwidgets.client import Client


@pytest.fixture
def mock_client() -> Iterator[Callable[..., tuple[Client, Recorder]]]:
    made: list[Client] = []

    def make(handler: Callable[[httpx.Request], httpx.Response], **options: Any):
        recorder = Recorder(handler)
        options.setdefault("base_url", BASE)
        options.setdefault("retry", FAST)
        client = Client(transport=httpx.MockTransport(recorder), **options)
        made.append(client)
        return client, recorder

    yield make
    for client in made:
        client.close()
