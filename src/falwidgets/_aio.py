"""asyncio helpers shared by every layer (stdlib only).

:func:`within` is the one home of the ``asyncio.timeout`` shim: Python 3.11's ``asyncio.timeout``
spares the task that ``asyncio.wait_for`` creates for every wait (one per SSE read or wake-up),
and 3.10 falls back to ``wait_for``.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["within"]

T = TypeVar("T")
_timeout = getattr(asyncio, "timeout", None)  # Python >= 3.11


async def within(awaitable: Awaitable[T], seconds: float) -> T:
    """``await awaitable``, or ``asyncio.TimeoutError`` once ``seconds`` have passed."""
    if _timeout is not None:
        async with _timeout(seconds):
            return await awaitable
    return await asyncio.wait_for(awaitable, seconds)  # pragma: no cover - Python 3.10
