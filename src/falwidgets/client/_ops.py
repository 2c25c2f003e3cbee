"""The sans-IO vocabulary: protocol logic is written once as generators that *yield* what they need.

An operation is a generator that yields :class:`Call` (send this request; receive the
``httpx.Response`` or the transport exception), :class:`Sleep`, :class:`Blocking` (disk work),
:class:`Wait` (a queued disk write), :class:`Parallel` (run these sub-operations concurrently;
receive their results), the streaming trio :class:`Open` / :class:`ReadEvent` / :class:`Close`,
and :class:`Emit` (hand a value to the caller: the next item of an iterator, or an ``on_update``
callback), and returns its value. The
sync and async drivers in ``_drive`` execute the same generators, so retries, deadlines, URL rules,
response handling and the SSE loops exist in exactly one copy.
"""

from __future__ import annotations

from collections.abc import Callable, Generator
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TypeVar

import httpx

from falwidgets.client._errors import DeadlineExceeded, FalError, ServerError
from falwidgets.client._retry import Deadline, RetryPolicy, never_sent

__all__ = [
    "Blocking",
    "Call",
    "Close",
    "Emit",
    "FileSlice",
    "Op",
    "Open",
    "Parallel",
    "ReadEvent",
    "Sleep",
    "Wait",
    "send",
]

T = TypeVar("T")

_UNSET: Any = object()


@dataclass(frozen=True)
class FileSlice:
    """A byte range of a file on disk, streamed by the driver in small chunks."""

    path: Path
    offset: int
    length: int


@dataclass
class Call:
    """One HTTP request to send; ``file`` bodies are streamed by the driver."""

    method: str
    url: str
    headers: dict[str, str] = field(default_factory=dict)
    params: dict[str, str] | None = None
    json: Any = _UNSET
    content: bytes | None = None
    file: FileSlice | None = None
    timeout: httpx.Timeout | None = None

    @property
    def has_json(self) -> bool:
        return self.json is not _UNSET


@dataclass(frozen=True)
class Sleep:
    seconds: float


@dataclass(frozen=True)
class Blocking:
    """Call ``fn(*args, **kwargs)`` (disk I/O such as journal writes): inline in the sync driver,
    in a worker thread in the async one so the event loop never waits on the disk."""

    fn: Callable[..., Any]
    args: tuple[Any, ...] = ()
    kwargs: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class Wait:
    """Wait for a ``concurrent.futures.Future`` (a queued journal write) and receive its result:
    the sync driver blocks, the async one awaits it without tying up a worker thread."""

    future: Future[Any]


@dataclass(frozen=True)
class Parallel:
    """Run sub-operations at most ``limit`` at a time; the result is the list of their results."""

    ops: list[Generator[Any, Any, Any]]
    limit: int = 4


@dataclass(frozen=True)
class Open:
    """Send ``call`` and keep the body open for :class:`ReadEvent`.

    The op receives the response (its body already read when the status is not 200, so errors
    can be mapped) or the transport exception. ``until`` (``time.monotonic()`` seconds) is a hard
    stop: the driver aborts any read still blocked at that moment, whatever the server sends.
    """

    call: Call
    until: float | None = None


@dataclass(frozen=True)
class ReadEvent:
    """The next server-sent event of an open body (httpx-sse decodes it: lines end only at CR, LF
    or CRLF, so a raw U+2028 in a JSON payload stays data); ``None`` at the end of the body, or
    the exception (transport error, a read past ``Open.until`` or past ``within`` seconds) that
    ended it. Keep-alive comments yield no event: the driver's hard stop still bounds them. A
    read cut by ``within`` leaves the response unusable: close it next."""

    response: httpx.Response
    within: float | None = None


@dataclass(frozen=True)
class Close:
    """Release an open response (drivers also close any left open when an op ends)."""

    response: httpx.Response


@dataclass(frozen=True)
class Emit:
    """Hand ``value`` to the caller; the op resumes when the caller asks for more."""

    value: Any


Yielded = Call | Sleep | Parallel | Blocking | Wait | Open | ReadEvent | Close | Emit
Op = Generator[Yielded, Any, T]


def send(
    call: Call,
    *,
    policy: RetryPolicy,
    deadline: Deadline,
    timeout: httpx.Timeout,
    action: str,
    creates: bool = False,
    request_id: str | None = None,
) -> Op[httpx.Response]:
    """Send ``call`` with retries; return the last response (success or not) for the caller to map.

    Transport failures that are not retried become :class:`ServerError` (or
    :class:`DeadlineExceeded` for timeouts), naming the action and the request.
    """
    attempt = 0
    while True:
        attempt += 1
        if deadline.expired:
            raise DeadlineExceeded(
                f"{action}: the deadline of {deadline.seconds:g}s passed"
                + _resume_hint(request_id),
                request_id=request_id,
            )
        call.timeout = deadline.clamp(timeout)
        outcome = yield call
        if isinstance(outcome, httpx.Response):
            if outcome.is_success or attempt >= policy.max_attempts:
                return outcome
            if not policy.retry_response(outcome, creates=creates):
                return outcome
            wait = policy.delay(attempt, outcome)
            if wait >= deadline.remaining():
                return outcome
        else:
            error: Exception = outcome
            if attempt >= policy.max_attempts or not policy.retry_error(error, creates=creates):
                raise _transport_error(error, action, creates, request_id) from error
            wait = policy.delay(attempt)
            if wait >= deadline.remaining():
                raise _transport_error(error, action, creates, request_id) from error
        yield Sleep(wait)


def _resume_hint(request_id: str | None) -> str:
    if not request_id:
        return ""
    return f"; request {request_id} may still run: resume it with client.resume({request_id!r})"


def _transport_error(
    error: Exception, action: str, creates: bool, request_id: str | None
) -> FalError:
    kind = type(error).__name__
    maybe = (
        " The server may have accepted it; it was not re-sent to avoid a duplicate."
        if creates and not never_sent(error)
        else ""
    )
    text = f"{action}: {kind}: {str(error) or 'no detail'}.{maybe}{_resume_hint(request_id)}"
    if isinstance(error, httpx.TimeoutException):
        return DeadlineExceeded(text, request_id=request_id)
    return ServerError(text, request_id=request_id)
