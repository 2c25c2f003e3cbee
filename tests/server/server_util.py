"""Small helpers for server tests (every wait has a deadline)."""

from __future__ import annotations

import time
from typing import Any

import httpx


def wait_completed(client: httpx.Client, status_url: str, deadline: float = 20.0) -> dict[str, Any]:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        body = client.get(status_url, params={"logs": 1}).json()
        if body["status"] == "COMPLETED":
            return body
        time.sleep(0.02)
    raise AssertionError(f"request at {status_url} did not complete within {deadline} s")


def wait_state(client: httpx.Client, status_url: str, state: str, deadline: float = 10.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if client.get(status_url).json()["status"] == state:
            return
        time.sleep(0.01)
    raise AssertionError(f"never reached {state}")
