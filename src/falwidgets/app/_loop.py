"""Run coroutines from synchronous code, whether or not an event loop is already running.

A notebook cell runs inside the kernel's event loop, so ``asyncio.run`` is refused there; the runner
patches that loop with nest-asyncio (once) and drives it re-entrantly. In a script there is no loop
and one private loop is reused for every call. Either way the caller gets a deadline, never an
endless wait.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_patched: set[int] = set()


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The loop running in this thread (a notebook kernel's), or ``None`` in a plain script."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def _reentrant(loop: asyncio.AbstractEventLoop) -> None:
    if id(loop) in _patched:
        return
    import nest_asyncio

    nest_asyncio.apply(loop)
    _patched.add(id(loop))


async def _with_deadline(aw: Awaitable[T], timeout: float | None) -> T:
    return await asyncio.wait_for(aw, timeout)


def run_sync(coro: Coroutine[Any, Any, T], *, timeout: float | None = None) -> T:
    """Run ``coro`` to completion from synchronous code, within ``timeout`` seconds.

    Raises ``TimeoutError`` (``asyncio.TimeoutError``) when the deadline passes; the coroutine is
    cancelled then, so nothing keeps running behind the caller's back.
    """
    loop = running_loop()
    if loop is None:
        return script_loop().run_until_complete(_with_deadline(coro, timeout))
    _reentrant(loop)
    return loop.run_until_complete(_with_deadline(coro, timeout))


_script: asyncio.AbstractEventLoop | None = None


def script_loop() -> asyncio.AbstractEventLoop:
    """One loop reused by every synchronous call in a script.

    ``asyncio.run`` would close its loop after each call, and an async HTTP client's pooled
    connections belong to the loop that opened them: the second ``app.run()`` would then fail.
    """
    global _script
    if _script is None or _script.is_closed():
        _script = asyncio.new_event_loop()
    return _script


def spawn(coro: Coroutine[Any, Any, T]) -> asyncio.Task[T] | None:
    """Start ``coro`` as a task on the running loop; ``None`` when there is no running loop."""
    loop = running_loop()
    if loop is None:
        coro.close()
        return None
    return loop.create_task(coro)
