"""Turn a client error into the banner's title and detail (a registry, so users can add theirs).

Titles are keyed by exception class and looked up along the MRO, so a subclass of
``RateLimited`` gets the rate-limit title without registering anything.
"""

from __future__ import annotations

import asyncio

import httpx

from falwidgets.client import (
    AuthError,
    Cancelled,
    DeadlineExceeded,
    FalError,
    InputRejected,
    MissingCredentials,
    NotFound,
    RateLimited,
    RequestFailed,
    ServerError,
)

_TITLES: dict[type[BaseException], str] = {
    MissingCredentials: "No fal credentials",
    AuthError: "Authentication failed",
    RateLimited: "Rate limited",
    InputRejected: "Invalid input",
    DeadlineExceeded: "Deadline exceeded",
    Cancelled: "Cancelled",
    RequestFailed: "The request failed",
    NotFound: "Not found",
    ServerError: "Server error",
    FalError: "fal error",
    TimeoutError: "Deadline exceeded",
    asyncio.TimeoutError: "Deadline exceeded",
    asyncio.CancelledError: "Cancelled",
    httpx.ConnectError: "Cannot reach the server",
    httpx.HTTPError: "HTTP error",
}


def register_error_title(exc_type: type[BaseException], title: str) -> None:
    """Show ``title`` in the banner for errors of ``exc_type`` (and its subclasses)."""
    if not (isinstance(exc_type, type) and issubclass(exc_type, BaseException)):
        raise TypeError(f"register_error_title needs an exception class, got {exc_type!r}")
    _TITLES[exc_type] = title


def describe(exc: BaseException) -> tuple[str, str, str | None]:
    """``(title, detail, request_id)`` for the banner; the detail is the error's own message."""
    title = next(
        (_TITLES[k] for k in type(exc).__mro__ if k in _TITLES),
        f"Unexpected error ({type(exc).__name__})",
    )
    detail = str(exc) if not isinstance(exc, asyncio.CancelledError) else ""
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)) and not detail:
        detail = "no answer before the deadline"
    request_id = exc.request_id if isinstance(exc, FalError) else None
    return title, detail, request_id
