"""Never lose a paid result: resolve a submit whose answer was lost, through fal's request history.

A submit creates work, so it is never re-sent blindly (``_retry``). But when its answer is lost
*after* the body was sent (a dropped connection, a read timeout, a 502/504 from a gateway with no
``x-fal-request-id``) the request may exist, run and be billed while the caller gets an error.
This module resolves that ambiguity (sans-IO, like ``_ops``):

1. The ambiguity is journalled at once: an ``AMBIGUOUS`` row (placeholder id ``ambiguous-…``)
   with the endpoint and the canonical digest of the arguments (sha256 of their sorted JSON, the
   journal's ``arguments_sha256``), so a crash now loses nothing.
2. The history (``GET /v1/models/requests/by-endpoint?expand=payloads``) is searched for the same
   endpoint, requests sent from ``MARGIN`` seconds before the send on, whose ``json_input`` has the
   same digest and which no other call owns (not in the journal under another row, not claimed by
   another call of this process). Found: the row becomes that request and the call follows it,
   returning its result as if nothing had happened.
3. Not listed yet: keep looking (backing off) within the call's deadline. Submit again
   (journalled in the same row; up to ``MAX_RESUBMITS`` times when each resubmission's answer is
   lost too and absence is proven again) only when absence is **proven**: the listing carries
   the server's explicit promise that in-flight requests are listed
   (``_platform_wire.LISTS_IN_FLIGHT``; the local server sends it, fal does not) and was made
   at least ``SETTLE`` seconds after the failure; or, once, when the caller opted in with
   ``on_ambiguous="resubmit"``. ``"raise"`` keeps the old behaviour (journal the ambiguity, raise
   at once).
4. Otherwise :class:`AmbiguousSubmit` (a ``ServerError``) carries the digest and the journal id;
   the row stays ``AMBIGUOUS`` and ``Client.recover`` (``falwidgets run --resume ambiguous-…``,
   the history widget) attaches the result once the history lists it.

Why matching by digest is sound, and where it is not: a request's input is what the caller sent,
byte for byte after canonical JSON, so the same endpoint plus the same digest within minutes of the
send is this call's request unless the same input was sent more than once in that window. Requests
already owned by journal rows are excluded, so repeats from this machine are told apart once their
own submits returned. Not covered: two identical inputs sent at the same moment by calls that both
lost their answers in different processes, or by another machine or the Playground in the window
(the call may adopt that request: it still returns a real output for exactly these inputs, and its
own request, if it exists, stays listed for ``history(remote=True)``); a server that does not store
payloads (``X-Fal-Store-IO: 0``) lists no inputs, so nothing can be matched; a read timeout on a
server still processing the submit after ``SETTLE`` seconds could be taken as absent.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections import Counter
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

import httpx

from falwidgets.client._errors import DeadlineExceeded, FalError, ServerError
from falwidgets.client._journal import AMBIGUOUS, JournalEntry, digest
from falwidgets.client._ops import Blocking, Op, Sleep, Wait
from falwidgets.client._platform import RequestRecord, page_op
from falwidgets.client._platform import query as history_query
from falwidgets.client._retry import Deadline, never_sent

__all__ = [
    "ON_AMBIGUOUS",
    "AmbiguousSubmit",
    "answer_lost",
    "canonical_digest",
    "reconcile",
    "reconcile_stats",
    "resolve_entry",
]

ON_AMBIGUOUS = ("reconcile", "resubmit", "raise")
PREFIX = "ambiguous-"
MARGIN = 300.0  # seconds before the send time the search starts (clock skew between hosts)
SETTLE = 1.0  # a listing proves absence only this long after the failure (a submit in transit)
MAX_INTERVAL = 5.0
MAX_LOOKUP_FAILURES = 2  # consecutive failed (already retried) lookups before giving up
MAX_RESUBMITS = 3  # proven-absent resubmissions of one call (each one's answer lost again)
_LOST_STATUSES = frozenset({502, 504})

_lock = threading.Lock()
_claimed: set[str] = set()  # request ids adopted by a call of this process
_stats: Counter[str] = Counter()


def reconcile_stats(reset: bool = False) -> dict[str, int]:
    """This process's counts: ``ambiguous``, ``found`` (resumed), ``resubmitted`` (proven absent
    or opted in), ``unresolved`` (raised :class:`AmbiguousSubmit`)."""
    with _lock:
        out = dict(_stats)
        if reset:
            _stats.clear()
    return {k: out.get(k, 0) for k in ("ambiguous", "found", "resubmitted", "unresolved")}


def _count(kind: str) -> None:
    with _lock:
        _stats[kind] += 1


class AmbiguousSubmit(ServerError):
    """A submit whose answer was lost and whose request could not be found nor proven absent.

    ``digest`` is the canonical digest of the arguments; ``journal_id`` the journal row
    (``ambiguous-…``) that ``Client.recover`` resolves once fal's history lists the request.
    """

    def __init__(self, message: str, *, digest: str, journal_id: str | None, **kw: Any) -> None:
        super().__init__(message, **kw)
        self.digest = digest
        self.journal_id = journal_id


class AmbiguousTimeout(AmbiguousSubmit, DeadlineExceeded):
    """:class:`AmbiguousSubmit` after a read timeout: still a :class:`DeadlineExceeded`."""


def canonical_digest(arguments: Any) -> str:
    """The journal's digest of JSON as a server sees it (tuples become lists, and so on)."""
    return digest(json.loads(json.dumps(arguments, default=str)))


def answer_lost(error: BaseException) -> bool:
    """Whether a submit's error means "sent, answer lost": a transport failure after the body
    left, or a gateway 502/504 that names no request."""
    cause = error.__cause__
    if isinstance(cause, httpx.TransportError):
        return not never_sent(cause)
    code = getattr(error, "status_code", None)
    return code in _LOST_STATUSES and getattr(error, "request_id", None) is None


def _owned(engine: Any, endpoint: str, want: str) -> set[str]:
    """Request ids of this digest the journal already gives to other calls."""
    journal = engine.journal
    return set() if journal is None else journal.owners(endpoint, want)


def _claim(records: list[RequestRecord], owned: set[str], sent_at: float) -> RequestRecord | None:
    """The unowned match closest to the send time, claimed for this call (or None)."""

    def distance(record: RequestRecord) -> float:
        at = record.sent_at or record.started_at or record.ended_at
        return abs(at.timestamp() - sent_at) if at else float("inf")

    with _lock:
        free = [r for r in records if r.request_id not in owned and r.request_id not in _claimed]
        if not free:
            return None
        best = min(free, key=distance)
        _claimed.add(best.request_id)
        return best


def _look(
    engine: Any, endpoint: str, want: str, sent_at: float, deadline: Deadline, owned: set[str]
) -> Op[tuple[list[RequestRecord], bool]]:
    """Listed requests of ``endpoint`` with this digest since ``sent_at - MARGIN`` (paging stops
    at the first page with one nobody owns: newest first, it is usually the first page), and
    whether the server promised that the listing is complete."""
    since = datetime.fromtimestamp(sent_at - MARGIN, timezone.utc)
    params = history_query(endpoint, since=since, payloads=True)
    cursor: str | None = None
    matches: list[RequestRecord] = []
    complete = True
    for _ in range(1000):  # 100 per page: far more than one endpoint sees in minutes
        page = yield from page_op(engine, params, cursor, deadline)
        complete = complete and page.complete
        matches += [r for r in page.records if _digest_of(r.json_input) == want]
        if page.next_cursor is None or any(r.request_id not in owned for r in matches):
            break
        cursor = page.next_cursor
    return matches, complete


def _digest_of(value: Any) -> str | None:
    return canonical_digest(value) if isinstance(value, dict) else None


def _definitive(error: FalError) -> bool:
    """A history error that waiting cannot fix (no such API here, a refused key)."""
    code = error.status_code
    return isinstance(code, int) and 400 <= code < 500 and code not in (408, 429)


def _adopt(engine: Any, placeholder: str | None, ref: Any) -> Op[None]:
    if engine.journal is not None and placeholder is not None:
        yield Wait(
            engine.journal.write_resolved(
                placeholder,
                request_id=ref.request_id,
                status_url=ref.status_url,
                response_url=ref.response_url,
                cancel_url=ref.cancel_url,
            )
        )


def reconcile(
    engine: Any,
    endpoint: str,
    arguments: Any,
    error: FalError,
    *,
    sent_at: float,
    deadline: Deadline,
    resubmit: Callable[[], Op[Any]],
    mode: str = "reconcile",
) -> Op[Any]:
    """Resolve a lost submit answer (module docstring); returns the request's ``RequestRef``.

    ``resubmit`` sends the same submit once more and returns its ref (or raises).
    """
    want = canonical_digest(arguments)
    placeholder: str | None = None
    _count("ambiguous")
    if engine.journal is not None:
        placeholder = f"{PREFIX}{uuid.uuid4().hex[:16]}"
        yield Wait(
            engine.journal.write_submit(
                request_id=placeholder,
                endpoint=endpoint,
                base=engine.hosts.queue,
                status_url="",
                response_url="",
                cancel_url="",
                arguments=arguments,
                status=AMBIGUOUS,
            )
        )
    if mode == "raise":
        _count("unresolved")
        raise _unresolved(error, want, placeholder, "on_ambiguous='raise'")
    total = deadline
    settle_at = time.monotonic() + SETTLE
    interval, resubmits, failures, why = 0.1, 0, 0, "not listed in the request history yet"
    while True:
        if total.remaining() < 0.05:  # no time to look: the caller's deadline comes first
            _count("unresolved")
            raise _unresolved(error, want, placeholder, "the call's deadline passed")
        owned = yield Blocking(_owned, (engine, endpoint, want))
        look = Deadline(min(engine.timeout.read or 60.0, total.remaining()))
        try:
            matches, complete = yield from _look(engine, endpoint, want, sent_at, look, owned)
        except FalError as failure:
            if _definitive(failure):
                _count("unresolved")
                raise _unresolved(
                    error, want, placeholder, f"history unavailable: {failure}"
                ) from failure
            failures += 1
            if failures >= MAX_LOOKUP_FAILURES:  # each one already retried: unreachable
                _count("unresolved")
                raise _unresolved(
                    error, want, placeholder, f"history unreachable: {failure}"
                ) from failure
            matches, complete, why = [], False, f"history lookup failed: {failure}"
        else:
            failures = 0
        found = _claim(matches, owned, sent_at)
        if found is not None:
            ref = engine.ref_for(endpoint, found.request_id)
            yield from _adopt(engine, placeholder, ref)
            _count("found")
            return ref
        proven = complete and time.monotonic() >= settle_at
        # absent for sure: sending again cannot duplicate (each try is journalled in this row);
        # opted in without proof: once
        allowed = resubmits < MAX_RESUBMITS if proven else (mode == "resubmit" and not resubmits)
        if allowed:
            resubmits += 1
            try:
                ref = yield from resubmit()
            except FalError as again:
                if not answer_lost(again):
                    raise
                error, sent_at = again, time.time()  # lost again: look for the resubmission
                settle_at = time.monotonic() + SETTLE
            else:
                yield from _adopt(engine, placeholder, ref)
                _count("resubmitted")
                return ref
        elif proven:
            _count("unresolved")
            raise _unresolved(error, want, placeholder, "proven absent after every resubmission")
        if total.remaining() < 0.05:
            _count("unresolved")
            raise _unresolved(error, want, placeholder, why)
        yield Sleep(max(0.0, min(interval, total.remaining())))
        interval = min(interval * 1.5, MAX_INTERVAL)


def _unresolved(error: FalError, want: str, placeholder: str | None, why: str) -> AmbiguousSubmit:
    where = (
        f" It is journalled as {placeholder}: client.recover({placeholder!r}) (or "
        f"falwidgets run --resume {placeholder}) attaches the result once fal lists it."
        if placeholder
        else ""
    )
    kind = AmbiguousTimeout if isinstance(error, DeadlineExceeded) else AmbiguousSubmit
    return kind(
        f"{error} The answer was lost after sending and the request may exist ({why}; input "
        f"digest {want[:16]}).{where}",
        digest=want,
        journal_id=placeholder,
        status_code=error.status_code,
        error_type="ambiguous_submit",
    )


def resolve_entry(engine: Any, entry: JournalEntry, deadline: Deadline) -> Op[Any]:
    """One search for an ``AMBIGUOUS`` journal entry; its ``RequestRef`` (the row now names the
    request) or ``None`` while the history does not list it."""
    if entry.status != AMBIGUOUS:
        raise ValueError(f"journal entry {entry.request_id} is {entry.status}, not AMBIGUOUS")
    owned = yield Blocking(_owned, (engine, entry.endpoint, entry.arguments_sha256))
    matches, _ = yield from _look(
        engine, entry.endpoint, entry.arguments_sha256, entry.created, deadline, owned
    )
    found = _claim(matches, owned, entry.created)
    if found is None:
        return None
    ref = engine.ref_for(entry.endpoint, found.request_id)
    yield from _adopt(engine, entry.request_id, ref)
    _count("found")
    return ref
