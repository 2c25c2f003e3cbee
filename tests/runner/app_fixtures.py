"""A test endpoint for the runner tests (``test/echo``) and a fake fal queue answer, importable
by tests and conftest."""

from __future__ import annotations

import threading
import time

import httpx
from pydantic import BaseModel, Field

STUCK = "https://queue.fal.run/fal-ai/flux-realism/requests/rid-stuck"


def accepted_stuck() -> httpx.Response:
    """fal's answer to a submit: request ``rid-stuck`` is queued (its URLs under ``STUCK``)."""
    return httpx.Response(
        200,
        json={
            "request_id": "rid-stuck",
            "status_url": STUCK + "/status",
            "response_url": STUCK,
            "cancel_url": STUCK + "/cancel",
        },
    )


class EchoIn(BaseModel):
    text: str = Field("hi", max_length=10, description="echoed back")
    steps: int = Field(3, ge=1, le=2000)
    fail: str | None = Field(None, description="raise this message instead of answering")


class EchoOut(BaseModel):
    text: str
    steps: int


class Gauge:
    """How many jobs of an endpoint run at once (to check a sweep's concurrency bound)."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.now = 0
        self.peak = 0

    def __enter__(self) -> None:
        with self.lock:
            self.now += 1
            self.peak = max(self.peak, self.now)

    def __exit__(self, *exc: object) -> None:
        with self.lock:
            self.now -= 1


GAUGE = Gauge()


def _echo(inp: EchoIn, ctx) -> EchoOut:
    with GAUGE:
        ctx.log("<b>starting</b>")
        for _ in ctx.steps(inp.steps):
            pass
        if inp.fail:
            raise RuntimeError(inp.fail)
        time.sleep(0.05)
        return EchoOut(text=inp.text, steps=inp.steps)
