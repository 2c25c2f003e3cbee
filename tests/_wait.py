"""The one way tests wait for something: poll a predicate under a deadline, fail loudly.

A fixed sleep is either too short on a loaded machine (a flake) or too long everywhere (a slow
suite), and a silent polling loop that gives up without failing lets the assertion after it
report a confusing symptom instead of the cause. ``wait_until`` returns as soon as the condition
holds and otherwise raises an ``AssertionError`` that says what was awaited and what was last seen.

Use ``async_wait_until`` inside a coroutine so the event loop keeps running while it waits.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

T = TypeVar("T")

INTERVAL = 0.02
"""Seconds between two polls: short enough not to slow tests, long enough not to spin a core."""


def _failure(message: str, timeout: float, last: object) -> AssertionError:
    return AssertionError(
        f"timed out after {timeout} s waiting for {message} (last seen: {last!r})"
    )


def wait_until(
    predicate: Callable[[], T],
    timeout: float = 10.0,
    message: str = "the condition",
    *,
    interval: float = INTERVAL,
) -> T:
    """Call ``predicate`` until it returns a truthy value and return that value.

    Raises ``AssertionError`` naming ``message`` when ``timeout`` seconds pass first. An exception
    raised by the predicate propagates at once: it is a failure, not a "not yet".
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() >= deadline:
            raise _failure(message, timeout, value)
        time.sleep(interval)


async def async_wait_until(
    predicate: Callable[[], T | Awaitable[T]],
    timeout: float = 10.0,
    message: str = "the condition",
    *,
    interval: float = INTERVAL,
) -> T:
    """``wait_until`` for coroutines: yields to the event loop between polls.

    ``predicate`` may be a plain function or return an awaitable (an ``async def`` predicate).
    """
    if timeout <= 0:
        raise ValueError(f"timeout must be positive, got {timeout!r}")
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if isinstance(value, Awaitable):
            value = await value
        if value:
            return value  # type: ignore[return-value]
        if time.monotonic() >= deadline:
            raise _failure(message, timeout, value)
        await asyncio.sleep(interval)
