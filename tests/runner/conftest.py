"""Fixtures for the runner tests: test endpoints served by the shared local server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from app_fixtures import GAUGE, EchoIn, EchoOut, Gauge, _echo

from falwidgets.server import endpoint
from falwidgets.server._registry import unregister


@pytest.fixture(scope="session")
def echo_endpoint() -> Iterator[str]:
    """``test/echo``: logs, takes ``steps`` steps, can fail on demand."""
    endpoint("test/echo", input=EchoIn, output=EchoOut)(_echo)
    yield "test/echo"
    unregister("test/echo")


@pytest.fixture()
def gauge() -> Gauge:
    GAUGE.peak = 0
    return GAUGE
