"""Resuming runs a dead kernel left in flight: which ones to follow, how, and what to record.

A journal entry without a final state was in flight when its kernel ended. Following it sends the
client's key to the URLs stored in the entry, so only entries recorded against the host runs go to
now are followed automatically; an entry of a local server (loopback) of an earlier kernel is
checked with a key-less client, so a dead one is marked gone. What retrying cannot fix (the
request is unknown, the key refused, the server gone) is written to the journal as FAILED, so
opening the history does not try again forever.
"""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import urlsplit

from falwidgets._hosts import is_loopback
from falwidgets.client import (
    AsyncClient,
    AuthError,
    FalError,
    MissingCredentials,
    NotFound,
    mark_journal,
)
from falwidgets.client._journal import default_journal
from falwidgets.client._retry import never_sent
from falwidgets.runner._backend import resume_client
from falwidgets.runner._entry import EntryView
from falwidgets.runner._errors import describe
from falwidgets.runner._run import Run, drive

RESUME_TIMEOUT = 300.0


def origin(url: str | None) -> str | None:
    """``scheme://host:port`` of ``url`` (default ports filled in), or None without a host."""
    if not url:
        return None
    try:
        parts = urlsplit(str(url))
        port = parts.port
    except ValueError:
        return None
    if not parts.scheme or not parts.hostname:
        return None
    scheme = parts.scheme.lower()
    port = port or {"http": 80, "https": 443}.get(scheme)
    return f"{scheme}://{parts.hostname.lower()}:{port}"


def client_origins(client: AsyncClient) -> set[str]:
    """The origins ``client`` sends its key to: its queue host and its proxy."""
    urls = (client.hosts.queue, client.proxy_origin)
    return {o for o in map(origin, urls) if o is not None}


def _loopback_origin(found: str | None) -> bool:
    return found is not None and is_loopback(urlsplit(found).hostname or "")


def resumable(view: EntryView, origins: set[str]) -> bool:
    """Whether to follow ``view`` automatically: recorded against one of ``origins`` (where runs
    go now), or against a loopback server (checked with a key-less client)."""
    found = origin(view.base)
    return found is not None and (found in origins or _loopback_origin(found))


def not_resumed_note(view: EntryView) -> str:
    """The card's line for an entry recorded against another host."""
    where = origin(view.base) or "an unknown host"
    return (
        f"recorded on {where}, not where runs go now: not resumed automatically "
        "(your key is only sent to the host runs go to)"
    )


def client_for(view: EntryView, client: AsyncClient) -> AsyncClient:
    """``client`` when the entry was recorded against its host, else the key-less resume client
    (a loopback entry of another server; a key is only ever sent to fal hosts)."""
    return client if origin(view.base) in client_origins(client) else resume_client()


async def resume_one(
    view: EntryView, client: AsyncClient, track: Callable[[Run], None] | None = None
) -> Run:
    """Follow ``view`` to its end through ``client`` (the client journals the outcome); record
    FAILED when the failure is one retrying cannot fix. ``track`` sees the run as soon as it
    exists. Never raises."""
    run = Run(endpoint=view.endpoint, arguments=dict(view.arguments), state="queued")
    run.request_id = view.request_id
    if track is not None:
        track(run)
    try:
        handle = client.resume(view.raw)
    except Exception as exc:  # an entry the client cannot follow: record why on the run
        run.state, run.error = "failed", exc
    else:
        await drive(run, client, handle=handle, timeout=RESUME_TIMEOUT)
    if run.state == "failed" and gone_local_server(view, run.error):
        record_gone(view)
    elif run.state == "failed" and definitive(run.error):
        record_failed(view, run.error)
    return run


def definitive(error: BaseException | None) -> bool:
    """A resume error that retrying cannot fix: the request is unknown (404), the key is refused
    (401/403) or another 4xx other than a timeout or rate limit."""
    if isinstance(error, (NotFound, AuthError, MissingCredentials)):
        return True
    if not isinstance(error, FalError):
        return False
    code = error.status_code
    return isinstance(code, int) and 400 <= code < 500 and code not in (408, 429)


def gone_local_server(view: EntryView, error: BaseException | None) -> bool:
    """The run was sent to a local server (loopback) that no longer accepts connections: the
    error (or the transport error the client wrapped in it) proves nothing reached a server."""
    if not _loopback_origin(origin(view.base)):
        return False
    seen: BaseException | None = error
    for _ in range(8):  # the cause chain: the client raises ServerError from the httpx error
        if seen is None:
            return False
        if isinstance(seen, Exception) and never_sent(seen):
            return True
        seen = seen.__cause__
    return False


def record_failed(view: EntryView, error: BaseException | None) -> None:
    """Mark the entry FAILED with the resume's error: shown on its card, and not retried on
    every open of the history (like :func:`record_gone`)."""
    entry = default_journal().get(view.request_id)
    if entry is not None and entry.done:  # the client recorded the job's own outcome: keep it
        return
    title, detail, _ = describe(error) if error is not None else ("Failed", "", None)
    error_type = error.error_type if isinstance(error, FalError) else None
    mark_journal(
        view.request_id,
        "FAILED",
        error=f"could not resume: {title}: {detail}"[:2000],
        error_type=str(error_type or type(error).__name__),
    )


def record_gone(view: EntryView) -> None:
    """Mark the journal entry failed so that opening the history does not retry it forever."""
    mark_journal(
        view.request_id,
        "FAILED",
        error="the local server that ran this request is gone (its kernel ended)",
        error_type="server_gone",
    )
