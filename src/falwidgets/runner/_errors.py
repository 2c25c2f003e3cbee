"""Turn a client error into the banner's title and detail (a registry, so users can add theirs).

Titles are keyed by exception class name and looked up along the MRO, so a subclass of
``RateLimited`` gets the rate-limit title without registering anything.
"""

from __future__ import annotations

import asyncio

_TITLES: dict[str, str] = {
    "MissingCredentials": "No fal credentials",
    "AuthError": "Authentication failed",
    "RateLimited": "Rate limited",
    "InputRejected": "Invalid input",
    "ValidationError": "Invalid input",
    "DeadlineExceeded": "Deadline exceeded",
    "Cancelled": "Cancelled",
    "RequestFailed": "The request failed",
    "NotFound": "Not found",
    "ServerError": "Server error",
    "FalError": "fal error",
    "TimeoutError": "Deadline exceeded",
    "CancelledError": "Cancelled",
    "ConnectError": "Cannot reach the server",
    "HTTPError": "HTTP error",
}


def register_error_title(exc_type: type[BaseException] | str, title: str) -> None:
    """Show ``title`` in the banner for errors of ``exc_type`` (class or class name)."""
    name = exc_type if isinstance(exc_type, str) else exc_type.__name__
    _TITLES[name] = title


def describe(exc: BaseException) -> tuple[str, str, str | None]:
    """``(title, detail, request_id)`` for the banner; the detail is the error's own message."""
    title = "Unexpected error"
    for klass in type(exc).__mro__:
        if klass.__name__ in _TITLES:
            title = _TITLES[klass.__name__]
            break
    else:
        title = f"Unexpected error ({type(exc).__name__})"
    detail = str(exc) if not isinstance(exc, asyncio.CancelledError) else ""
    if isinstance(exc, (TimeoutError, asyncio.TimeoutError)) and not detail:
        detail = "no answer before the deadline"
    request_id = getattr(exc, "request_id", None)
    return title, detail, request_id
