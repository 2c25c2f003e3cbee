"""Journal the runs the client cannot: streams (no queue) and submits the server refused (a 422).

The client journals every request it submits to a queue, before ``submit`` returns. A streaming
run never enters a queue and a refused submit never gets a request id, so neither would appear in
the history. The runner records them here, once they have finished, under the request id the
server gave (an ``x-fal-request-id`` header) or a local one (``local-…``).
"""

from __future__ import annotations

import uuid
from typing import Any

from falwidgets.app._run import Run

_STATES = {"done": "COMPLETED", "failed": "FAILED", "cancelled": "CANCELLED"}


def _journal_of(client: Any) -> Any:
    """The journal ``client`` writes to (``None`` when it was built with ``journal=False``)."""
    engine = getattr(client, "_engine", None)
    if engine is not None:
        return getattr(engine, "journal", None)
    from falwidgets.client._journal import default_journal

    return default_journal()


def _base_of(client: Any, streaming: bool) -> str:
    engine = getattr(client, "_engine", None)
    proxy = getattr(engine, "proxy_url", None)
    if proxy:  # only scheme://host: a proxy path may hold a student's token
        from urllib.parse import urlsplit

        parts = urlsplit(str(proxy))
        return f"{parts.scheme}://{parts.netloc}"
    hosts = getattr(engine, "hosts", None)
    host = getattr(hosts, "run" if streaming else "queue", None) or getattr(hosts, "queue", None)
    return str(host or getattr(client, "base_url", "") or "local")


def needs_record(run: Run, streaming: bool) -> bool:
    """Whether the client left ``run`` out of the journal (a stream, or a refused submit)."""
    if not run.done:
        return False
    if streaming:
        return True
    return run.handle is None and run.state == "failed" and run.error is not None


def record_run(run: Run, client: Any, *, streaming: bool) -> str | None:
    """Add a finished ``run`` to the journal with its final state; returns the id used."""
    journal = _journal_of(client)
    if journal is None or not needs_record(run, streaming):
        return None
    rid = run.request_id or getattr(run.error, "request_id", None)
    if not rid or journal.get(rid) is not None:
        rid = f"local-{uuid.uuid4().hex[:16]}"
    journal.record_submit(
        request_id=rid,
        endpoint=run.endpoint,
        base=_base_of(client, streaming),
        status_url="",
        response_url="",
        cancel_url="",
        arguments=run.arguments,
    )
    error = None if run.error is None or run.state == "done" else str(run.error)
    error_type = None
    if run.error is not None and run.state != "done":
        error_type = getattr(run.error, "error_type", None) or type(run.error).__name__
    journal.record_final(
        rid,
        _STATES[run.state],
        result=run.output if run.state == "done" else None,
        error=error,
        error_type=error_type,
        metrics=run.metrics or None,
    )
    if run.request_id is None:
        run.request_id = rid
    return rid
