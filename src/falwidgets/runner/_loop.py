"""One background event loop (a daemon thread) that runs every request of the runner.

Why not the kernel's own loop: a synchronous ``app.run()`` in a notebook cell would have to drive
that loop re-entrantly (nest-asyncio), which breaks ipykernel 7 in JupyterLab ("cannot enter
context ... already entered", then a dead shell task). Here the kernel's loop is never touched:
button clicks schedule coroutines on the runner loop and return at once, ``run()`` blocks only its
caller (with a deadline, and Ctrl-C/interrupt cancels the run), and widget updates are sent from
the runner thread, which ipykernel's IOPub channel allows. One loop also keeps the async HTTP
client's pooled connections valid across runs (they belong to the loop that opened them).
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import threading
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_lock = threading.Lock()
_loop: asyncio.AbstractEventLoop | None = None
_thread: threading.Thread | None = None


def runner_loop() -> asyncio.AbstractEventLoop:
    """The runner's event loop, started in a daemon thread on first use."""
    global _loop, _thread
    with _lock:
        if _loop is None or _thread is None or not _thread.is_alive():
            loop = asyncio.new_event_loop()
            ready = threading.Event()

            def serve() -> None:
                asyncio.set_event_loop(loop)
                loop.call_soon(ready.set)
                loop.run_forever()

            thread = threading.Thread(target=serve, name="falwidgets-runner", daemon=True)
            thread.start()
            if not ready.wait(10):
                raise RuntimeError("the falwidgets runner loop did not start")
            _loop, _thread = loop, thread
        return _loop


def on_runner_thread() -> bool:
    return _thread is not None and threading.current_thread() is _thread


def running_loop() -> asyncio.AbstractEventLoop | None:
    """The loop running in the calling thread (a notebook kernel's), or ``None`` in a script."""
    try:
        return asyncio.get_running_loop()
    except RuntimeError:
        return None


def spawn(coro: Coroutine[Any, Any, T]) -> concurrent.futures.Future[T]:
    """Schedule ``coro`` on the runner loop; cancelling the future cancels the coroutine."""
    return asyncio.run_coroutine_threadsafe(coro, runner_loop())


def block(future: concurrent.futures.Future[T], timeout: float | None = None) -> T:
    """Wait for a runner future from synchronous code, within ``timeout`` seconds.

    On the deadline the work is cancelled and ``TimeoutError`` raised; an interrupt (Ctrl-C, the
    notebook's stop button) cancels it too, so nothing keeps running behind the caller's back.
    """
    if on_runner_thread():
        future.cancel()
        raise RuntimeError("cannot block on the runner loop from inside it: await it instead")
    try:
        return future.result(timeout)
    except concurrent.futures.TimeoutError:
        future.cancel()
        raise TimeoutError(f"no result within {timeout} s; the work was cancelled") from None
    except KeyboardInterrupt:
        future.cancel()
        raise


def run_sync(coro: Coroutine[Any, Any, T], *, timeout: float | None = None) -> T:
    """Run ``coro`` on the runner loop and wait for it from synchronous code."""
    return block(spawn(coro), timeout)


async def wait_for(future: concurrent.futures.Future[T], timeout: float | None = None) -> T:
    """Await a runner future from any loop; a timeout leaves the work itself running."""
    return await asyncio.wait_for(asyncio.shield(asyncio.wrap_future(future)), timeout)


def wait_all(futures: list[concurrent.futures.Future[Any]], timeout: float | None = None) -> None:
    """Block until every future has finished (with a result, an error or cancelled).

    ``TimeoutError`` after ``timeout`` seconds; unlike :func:`block`, the work keeps going (this
    is a wait on work started elsewhere, not a call that owns it).
    """
    if on_runner_thread():
        raise RuntimeError("cannot block on the runner loop from inside it: await it instead")
    _, pending = concurrent.futures.wait(futures, timeout)
    if pending:
        raise TimeoutError(f"{len(pending)} of {len(futures)} still running after {timeout} s")
