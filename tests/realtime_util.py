"""Realtime test helpers: user endpoints served with `@endpoint(..., realtime=...)`, and waits.

The endpoints are registered the way users register theirs, so the tests exercise the public path:
- `test/rt-echo`: answers `{"prompt", "seed"}` at once; idle sessions end after 0.5 s.
- `test/rt-gated`: like echo, but each call waits for `GATE` (so a test controls when answers
  come and can pile inputs up deterministically).
- `test/rt-boom`: raises, for the INTERNAL_ERROR path.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from pydantic import BaseModel


class EchoIn(BaseModel):
    prompt: str
    seed: int = 0


GATE = threading.Event()
STARTED = threading.Event()  # set when test/rt-gated begins a call
ECHO_TIMEOUT = 0.5


def wait_until(predicate: Callable[[], Any], timeout: float = 10.0, what: str = "") -> Any:
    """Poll `predicate` until it is truthy; fail loudly after `timeout` seconds."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        value = predicate()
        if value:
            return value
        time.sleep(0.01)
    raise AssertionError(f"timed out after {timeout} s waiting for {what or predicate}")


@contextmanager
def realtime_test_endpoints() -> Iterator[None]:
    """Register the test endpoints for the duration of a test module."""
    from falwidgets.server import endpoint
    from falwidgets.server._realtime import RealtimeOptions
    from falwidgets.server._registry import unregister

    fast = RealtimeOptions(session_timeout=ECHO_TIMEOUT)

    @endpoint("test/rt-echo", input=EchoIn, realtime=fast)
    def echo(inp: EchoIn) -> dict[str, Any]:
        return {"prompt": inp.prompt, "seed": inp.seed, "blob": b"\x00\x01"}

    @endpoint("test/rt-gated", input=EchoIn, realtime=RealtimeOptions(session_timeout=30))
    def gated(inp: EchoIn) -> dict[str, Any]:
        STARTED.set()
        if not GATE.wait(20):
            raise RuntimeError("gate never opened")
        return {"prompt": inp.prompt, "seed": inp.seed}

    @endpoint("test/rt-boom", input=EchoIn, realtime=True)
    def boom(inp: EchoIn) -> dict[str, Any]:
        raise ValueError(f"cannot draw {inp.prompt}")

    @endpoint("test/not-realtime", input=EchoIn)
    def plain(inp: EchoIn) -> dict[str, Any]:
        return {"prompt": inp.prompt}

    try:
        yield
    finally:
        GATE.set()
        for name in ("test/rt-echo", "test/rt-gated", "test/rt-boom", "test/not-realtime"):
            unregister(name)
