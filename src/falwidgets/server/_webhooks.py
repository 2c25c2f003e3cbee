"""Webhook delivery on completion: fal's payload, retried with backoff on failure.

fal retries 10 times over 2 hours; the local server keeps the attempt count but scales the delays
(`base_delay`) so tests see retries within a second.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx

from falwidgets.server._jobs import Job
from falwidgets.server._metrics import Metrics
from falwidgets.server._urls import rebase

log = logging.getLogger("falwidgets.server")

RECENT_DELIVERIES = 256  # outcomes kept in `WebhookSender.deliveries` (counts go to /metrics)


def webhook_payload(job: Job, canonical_base: str = "") -> dict[str, Any]:
    """The documented body: status OK with the output, or ERROR with the error body.

    File URLs are moved onto the base the submit came in on, which the receiver can reach.
    """
    target = job.base_url or canonical_base
    if job.error:
        return {
            "request_id": job.request_id,
            "gateway_request_id": job.request_id,
            "status": "ERROR",
            "payload": rebase(job.error_body, canonical_base, target),
            "error": f"Invalid status code: {job.error_status}",
        }
    return {
        "request_id": job.request_id,
        "gateway_request_id": job.request_id,
        "status": "OK",
        "payload": rebase(job.output, canonical_base, target),
        "error": None,
    }


class WebhookSender:
    """Delivers on a small thread pool so slow receivers never block workers."""

    def __init__(
        self,
        metrics: Metrics,
        *,
        attempts: int = 10,
        base_delay: float = 0.05,
        canonical_base: str = "",
    ) -> None:
        self.metrics = metrics
        self.canonical_base = canonical_base
        self.attempts = attempts
        self.base_delay = base_delay
        self._pool = ThreadPoolExecutor(max_workers=4, thread_name_prefix="falwidgets-webhook")
        self._stop = threading.Event()
        # the last outcomes ({url, request_id, attempts, ok}), bounded: a server may run for weeks
        self.deliveries: deque[dict[str, Any]] = deque(maxlen=RECENT_DELIVERIES)

    def send(self, job: Job) -> None:
        if job.webhook_url:
            payload = webhook_payload(job, self.canonical_base)
            self._pool.submit(self._deliver, job.webhook_url, job.request_id, payload)

    def _deliver(self, url: str, request_id: str, payload: dict[str, Any]) -> None:
        headers = {
            "content-type": "application/json",
            "x-fal-webhook-request-id": request_id,
            "x-fal-webhook-timestamp": str(int(time.time())),
        }
        attempt = 0
        ok = False
        with httpx.Client(timeout=httpx.Timeout(10.0, connect=5.0)) as client:
            while attempt < self.attempts and not self._stop.is_set():
                attempt += 1
                try:
                    response = client.post(url, json=payload, headers=headers)
                    ok = response.status_code < 300
                except httpx.HTTPError as exc:
                    log.info("webhook %s attempt %d failed: %s", request_id, attempt, exc)
                self.metrics.inc(
                    "falwidgets_webhook_deliveries_total", outcome="ok" if ok else "failed"
                )
                if ok:
                    break
                if self._stop.wait(min(self.base_delay * 2 ** (attempt - 1), 30.0)):
                    break
        self.deliveries.append(
            {"url": url, "request_id": request_id, "attempts": attempt, "ok": ok}
        )

    def close(self) -> None:
        self._stop.set()
        self._pool.shutdown(wait=True, cancel_futures=True)
