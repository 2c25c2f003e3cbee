"""Runs fal knows about and the journal does not: ``history(remote=True)``'s data layer.

fal's request history (``client.requests``, fal-platform.md §2.5) lists every request of an
endpoint with its input and output: runs made in the web Playground, on another machine, or by a
kernel that died before journalling. :func:`remote_entries` turns those the journal has no row for
into :class:`RemoteEntry` values shaped like ``JournalEntry`` (so a history card, Load and the
previews treat them alike), marked ``remote=True``, never resumed (there is nothing to follow:
only finished runs carry an output, and a running one is shown as such).

fal's API needs endpoint ids: the ones asked for, else every endpoint the journal knows (up to 50
per call, fal's limit).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from falwidgets.client._journal import JournalEntry, digest

__all__ = ["REMOTE_STATUS_RUNNING", "RemoteEntry", "fetch_remote", "remote_entries"]

REMOTE_STATUS_RUNNING = "REMOTE"  # a listed request without an outcome yet (queued or running)
MAX_IDS = 50
DEFAULT_LIMIT = 200


@dataclass(frozen=True)
class RemoteEntry(JournalEntry):
    """A request from fal's history as a journal entry (``remote`` says so; no queue URLs)."""

    remote: bool = True

    @property
    def done(self) -> bool:
        return self.finished is not None

    @classmethod
    def of(cls, record: Any, base: str = "") -> RemoteEntry:
        """From a ``RequestRecord`` (listed with payloads)."""
        arguments = record.json_input if isinstance(record.json_input, dict) else {}
        when = record.sent_at or record.started_at or record.ended_at
        ok = record.ok
        output = record.json_output
        error = None
        if record.done and not ok:
            detail = output.get("detail") if isinstance(output, dict) else output
            error = (
                f"HTTP {record.status_code}: {detail}" if detail else f"HTTP {record.status_code}"
            )
        return cls(
            request_id=record.request_id,
            endpoint=record.endpoint_id,
            arguments=arguments,
            arguments_sha256=digest(arguments),
            created=when.timestamp() if when else time.time(),
            finished=record.ended_at.timestamp() if record.ended_at else None,
            status=(REMOTE_STATUS_RUNNING if not record.done else "COMPLETED" if ok else "FAILED"),
            error=error,
            error_type=(output.get("error_type") if isinstance(output, dict) else None)
            if error
            else None,
            metrics={"inference_time": record.duration} if record.duration is not None else None,
            result=output if ok else None,
            base=base,
            status_url="",
            response_url="",
            cancel_url="",
        )


def _chunks(ids: list[str]) -> Iterable[list[str]]:
    for start in range(0, len(ids), MAX_IDS):
        yield ids[start : start + MAX_IDS]


async def fetch_remote(
    client: Any,
    endpoints: Iterable[str],
    *,
    known: set[str],
    since: Any = None,
    limit: int = DEFAULT_LIMIT,
) -> list[RemoteEntry]:
    """Listed requests of ``endpoints`` whose ids are not in ``known``, newest first (at most
    ``limit``). ``client`` is a ``Client`` or an ``AsyncClient``."""
    ids = sorted({e for e in endpoints if e})
    base = str(getattr(getattr(client, "hosts", None), "queue", "") or "")
    found: list[RemoteEntry] = []
    for chunk in _chunks(ids):
        listing = client.requests(chunk, since=since, payloads=True)
        records: list[Any] = []
        if hasattr(listing, "__aiter__"):
            async for record in listing:
                records.append(record)
                if len(records) >= limit:
                    break
        else:

            def drain(items: Any = listing) -> list[Any]:
                out = []
                for record in items:
                    out.append(record)
                    if len(out) >= limit:
                        break
                return out

            records = await asyncio.to_thread(drain)
        found += [RemoteEntry.of(r, base) for r in records if r.request_id not in known]
    found.sort(key=lambda e: -e.created)
    return found[:limit]


def remote_entries(
    client: Any = None,
    *,
    endpoints: Iterable[str] | None = None,
    since: Any = None,
    limit: int = DEFAULT_LIMIT,
    timeout: float = 60.0,
) -> list[RemoteEntry]:
    """The runs fal lists that this machine's journal does not (blocking; see the module).

    ``client`` defaults to the runner's backend (the local server without a key); ``endpoints``
    to every endpoint the journal has seen.
    """
    from falwidgets.client import journal
    from falwidgets.runner import _loop
    from falwidgets.runner._backend import backend_for

    client = backend_for(client).client
    entries = journal()
    known = {e.request_id for e in entries}
    wanted = list(endpoints) if endpoints is not None else [e.endpoint for e in entries]
    if not wanted:
        return []
    coro = fetch_remote(client, wanted, known=known, since=since, limit=limit)
    return _loop.run_sync(coro, timeout=timeout)
