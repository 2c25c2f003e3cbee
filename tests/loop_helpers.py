"""Running a coroutine from any test, even one whose thread already runs a loop."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from typing import Any


def run_coroutine(coro: Any) -> Any:
    """``asyncio.run``, in a fresh thread when this one already runs a loop (Playwright's does)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(coro)
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, coro).result()
