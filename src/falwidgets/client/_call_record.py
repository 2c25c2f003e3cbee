"""Journal records of the calls that never enter a queue, so the history has every run.

``run()`` and ``stream()`` go straight to ``fal.run``, and a submit the server refused (a 422, a
401, a 5xx, a dead connection) never got a request id, so the queue journal in ``_engine`` would
miss all three. :class:`CallRecord` writes each of them once it has ended: the id is the
server's ``x-fal-request-id`` header when it sent one, else ``local-<hex>``; the state is
COMPLETED (with the output, for a stream its last event), FAILED (with the error and its type)
or CANCELLED (the caller stopped reading or was cancelled). The entry has no status URLs: it is
final, so nothing ever tries to resume it. Errors raised from these calls carry the id as
``journal_id`` (and as ``request_id`` when the server gave it).
"""

from __future__ import annotations

import logging
import sqlite3
import uuid
from typing import Any

import httpx

from falwidgets.client._ops import Blocking, Op

__all__ = ["LOCAL_PREFIX", "CallRecord", "local_id"]

logger = logging.getLogger("falwidgets.client")

LOCAL_PREFIX = "local-"


def local_id() -> str:
    """An id for a call the server gave none (it never reached a queue)."""
    return f"{LOCAL_PREFIX}{uuid.uuid4().hex[:16]}"


class CallRecord:
    """The journal entry of one ``run``/``stream`` call or refused submit, written once it ends."""

    def __init__(self, engine: Any, endpoint: str, arguments: Any, *, queued: bool) -> None:
        self.journal = engine.journal
        self.endpoint = endpoint
        self.arguments = arguments
        self.base: str = engine.hosts.queue if queued else engine.hosts.run
        self.request_id: str | None = None
        self.from_server = False
        self.last: Any = None  # a stream's latest event: its output when it ends
        self.count = 0
        self.recorded = False

    def adopt(self, response: httpx.Response | None) -> str:
        """Take the server's ``x-fal-request-id`` (or make a local id) the first time."""
        if self.request_id is None:
            rid = response.headers.get("x-fal-request-id") if response is not None else None
            self.from_server = bool(rid)
            self.request_id = rid or local_id()
        return self.request_id

    def seen(self, item: Any) -> None:
        self.last, self.count = item, self.count + 1

    # -- outcomes (ops for the drivers; ``abandoned`` runs inline: a closing generator cannot yield)
    def completed(self, result: Any) -> Op[None]:
        if self.journal is not None and not self.recorded:
            yield Blocking(self.write, ("COMPLETED",), {"result": result})

    def failed(self, error: BaseException) -> Op[None]:
        """Journal ``error`` as the call's outcome and name the entry on the error itself."""
        rid = self.adopt(None)
        if getattr(error, "request_id", None) is None and self.from_server:
            error.request_id = rid  # type: ignore[attr-defined]
        if self.journal is None or self.recorded:
            return
        error.journal_id = rid  # type: ignore[attr-defined]
        error_type = getattr(error, "error_type", None) or type(error).__name__
        yield Blocking(self.write, ("FAILED",), {"error": str(error), "error_type": error_type})

    def abandoned(self) -> None:
        """The caller stopped (broke out of a stream, Ctrl-C, a cancelled task): CANCELLED."""
        if self.journal is None or self.recorded:
            return
        what = f"after {self.count} events" if self.count else "before any result"
        self.write(  # often on an event loop, from a closing generator: queue, never wait
            "CANCELLED",
            result=self.last,
            error=f"the caller stopped the call {what}",
            error_type="Cancelled",
            wait=False,
        )

    def write(
        self,
        state: str,
        *,
        result: Any = None,
        error: str | None = None,
        error_type: str | None = None,
        wait: bool = True,
    ) -> None:
        """Both rows in one go (``wait``: until they are on disk); a disk failure is logged,
        never raised over the call's outcome."""
        if self.journal is None or self.recorded:
            return
        self.recorded = True
        rid = self.adopt(None)
        try:
            # a server reusing ids must not overwrite (a read without waiting for queued writes)
            if self.journal.get(rid, flush=wait) is not None:
                rid = self.request_id = local_id()
            self.journal.write_submit(
                request_id=rid,
                endpoint=self.endpoint,
                base=self.base,
                status_url="",
                response_url="",
                cancel_url="",
                arguments=self.arguments,
            )
            final = self.journal.write_final(
                rid, state, result=result, error=error, error_type=error_type
            )
            if wait:
                final.result()
        except (sqlite3.Error, OSError) as failure:
            logger.warning(
                "falwidgets: could not journal the %s call %s to %s (%s: %s)",
                state.lower(),
                rid,
                self.endpoint,
                type(failure).__name__,
                failure,
            )
