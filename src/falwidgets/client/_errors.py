"""One error hierarchy under :class:`FalError`, built from fal's HTTP responses.

Users of the official client complain about opaque errors (a 422 printed as a Python list, an empty
message for a bad key). Every error here says what happened, to which request, and keeps the
structured parts (``status_code``, ``error_type``, ``request_id``, ``errors``) as attributes.
"""

from __future__ import annotations

import email.utils
import html as htmllib
import json
import logging
import re
import time
from typing import Any

import httpx

__all__ = [
    "CANCELLED_ERROR_TYPES",
    "AuthError",
    "Cancelled",
    "DeadlineExceeded",
    "FalError",
    "InputRejected",
    "MissingCredentials",
    "NotFound",
    "RateLimited",
    "RequestFailed",
    "ServerError",
    "add_secrets",
    "error_from_response",
    "is_cancellation",
    "normalize_validation_errors",
    "redact",
]


# Every key a client of this process holds (and proxy tokens). FalError redacts them from its
# message, detail and errors when it is built, so no code path can forget to: a server that echoes
# the key back (in a 401 detail, a status error, a log line) never puts it into str(error).
_SECRETS: set[str] = set()
_MIN_SECRET = 6  # shorter "keys" are test values, not secrets; replacing them would mangle text


def add_secrets(*secrets: str | None) -> None:
    """Register keys/tokens to hide; fal keys ``id:secret`` also hide the secret half alone."""
    for secret in secrets:
        if not secret or len(secret) < _MIN_SECRET:
            continue
        _SECRETS.add(secret)
        half = secret.split(":", 1)[1] if ":" in secret else ""
        if len(half) >= _MIN_SECRET:
            _SECRETS.add(half)


_URL_TOKEN = re.compile(r"(/t/)[^/?#]+")
_USERINFO = re.compile(r"^([a-zA-Z][a-zA-Z0-9+.-]*://)[^/@]*@")


def redact_url(url: str | None) -> str | None:
    """``url`` without a token in it: a proxy's ``.../t/<token>`` path or ``user:pass@``."""
    if not url:
        return url
    return _USERINFO.sub(r"\1***@", _URL_TOKEN.sub(r"\1***", url))


class _RedactingFilter(logging.Filter):
    """httpx logs every request's URL at INFO: a proxy token in it (or a registered key in any
    argument) is hidden there too, like everywhere else."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(
                redact(redact_url(str(arg))) if isinstance(arg, (str, httpx.URL)) else arg
                for arg in record.args
            )
        if isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


logging.getLogger("httpx").addFilter(_RedactingFilter())


def redact(value: Any) -> Any:
    """``value`` with every registered secret replaced by ``***`` (strings, dicts, lists)."""
    if not _SECRETS:
        return value
    if isinstance(value, str):
        # longest first, so a full ``id:secret`` goes before its secret half
        for secret in sorted(_SECRETS, key=len, reverse=True):
            if secret in value:
                value = value.replace(secret, "***")
        return value
    if isinstance(value, dict):
        return {redact(k): redact(v) for k, v in value.items()}
    if isinstance(value, list):
        return [redact(v) for v in value]
    if isinstance(value, tuple):
        return tuple(redact(v) for v in value)
    return value


# fal's ``error_type`` values for a request stopped by its caller (fal-protocol.md §14.3): the
# protocol says "cancelled", never the words of an error message
CANCELLED_ERROR_TYPES = frozenset({"client_cancelled", "client_disconnected"})


def is_cancellation(error_type: str | None) -> bool:
    """Whether fal's ``error_type`` means the request was cancelled (the one rule for it)."""
    return error_type in CANCELLED_ERROR_TYPES


class FalError(Exception):
    """Base of every falwidgets client error; ``request_id`` is set whenever a request is known.

    ``journal_id`` names the journal entry of a call that never reached a queue (a refused
    submit, a ``run``, a ``stream``): the server's id or a ``local-…`` one.
    """

    journal_id: str | None = None

    def __init__(
        self,
        message: str,
        *,
        request_id: str | None = None,
        status_code: int | None = None,
        error_type: str | None = None,
        detail: Any = None,
    ) -> None:
        message = redact(message)
        super().__init__(message)
        self.message = message
        self.request_id = request_id
        self.status_code = status_code
        self.error_type = error_type
        self.detail = redact(detail)

    def __str__(self) -> str:
        return self.message


class MissingCredentials(FalError):
    """No key was given and none is in the environment, but a real fal host needs one."""


class AuthError(FalError):
    """401/403: a bad key, a locked account (the lock reason is in the message), a bad scope."""


class InputRejected(FalError, ValueError):
    """422: the endpoint rejected the input. ``errors`` is always a list of ``{loc, msg, type}``
    so a form can map each one to its field (``form.show_errors(error.errors)``).

    Not named ``ValidationError``: pydantic's error of that name (raised by ``Form.model()``) has
    ``errors()`` as a method; this one is an answer from the server."""

    def __init__(self, message: str, *, errors: list[dict[str, Any]], **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.errors: list[dict[str, Any]] = redact(errors)


class RateLimited(FalError):
    """429 after retries; ``retry_after`` is the server's hint in seconds (or ``None``)."""

    def __init__(self, message: str, *, retry_after: float | None = None, **kwargs: Any) -> None:
        super().__init__(message, **kwargs)
        self.retry_after = retry_after


class ServerError(FalError):
    """5xx, an unreachable server, or a response that breaks the protocol."""


class RequestFailed(FalError):
    """The request completed with ``error``/``error_type`` (the model or the runner failed)."""


class NotFound(FalError):
    """404: unknown endpoint or request id (results expire after an hour on fal)."""


class Cancelled(FalError):
    """The request was cancelled before it produced a result."""


class DeadlineExceeded(FalError):
    """A wait ran out of time; the request may still run: resume it by ``request_id``."""


def normalize_validation_errors(detail: Any) -> list[dict[str, Any]]:
    """``detail`` may be a list of pydantic errors or a plain string: always return a list."""
    if isinstance(detail, list):
        out: list[dict[str, Any]] = []
        for item in detail:
            if isinstance(item, dict):
                loc = item.get("loc") or ["body"]
                entry = dict(item)
                entry["loc"] = list(loc) if isinstance(loc, (list, tuple)) else [str(loc)]
                entry["msg"] = str(item.get("msg") or item.get("message") or "invalid value")
                entry["type"] = str(item.get("type") or "value_error")
                out.append(entry)
            else:
                out.append({"loc": ["body"], "msg": str(item), "type": "value_error"})
        return out
    if isinstance(detail, dict):
        return normalize_validation_errors([detail])
    text = "" if detail is None else str(detail)
    return [{"loc": ["body"], "msg": text or "invalid input", "type": "value_error"}]


def parse_retry_after(value: str | None) -> float | None:
    """``Retry-After`` is either delta-seconds or an HTTP date."""
    if not value:
        return None
    value = value.strip()
    try:
        return max(0.0, float(value))
    except ValueError:
        pass
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


def _body(response: httpx.Response) -> Any:
    try:
        return response.json()
    except (json.JSONDecodeError, UnicodeDecodeError, ValueError):
        return response.text


_TAG = re.compile(r"<[^>]*>")


def _page_words(page: str, limit: int = 300) -> str:
    """The words of an HTML error page (a gateway's 502/504), not its markup."""
    words = " ".join(htmllib.unescape(_TAG.sub(" ", page)).split())
    return words if len(words) <= limit else words[: limit - 1] + "…"


def detail_text(detail: Any) -> str:
    if isinstance(detail, str):
        return detail
    if detail is None:
        return ""
    return json.dumps(detail, ensure_ascii=False)[:500]


def error_from_response(
    response: httpx.Response,
    *,
    action: str,
    request_id: str | None = None,
    secrets: tuple[str, ...] = (),
    error_type: str | None = None,
) -> FalError:
    """Map an unsuccessful response to the matching error class, with a readable message.

    ``action`` says what we were doing ("submit to fal-ai/flux/dev", "result of request X"), so the
    message names the request. ``secrets`` are scrubbed in case a server echoes the key back.
    """
    status = response.status_code
    body = _body(response)
    detail: Any = body.get("detail", body) if isinstance(body, dict) else body
    if isinstance(body, dict) and "detail" not in body and "status" in body:
        detail = body["status"]
    etype = (
        (body.get("error_type") if isinstance(body, dict) else None)
        or response.headers.get("x-fal-error-type")
        or error_type
    )
    rid = request_id or response.headers.get("x-fal-request-id")
    where = f"{action}" + (f" (request {rid})" if rid and rid not in action else "")
    add_secrets(*secrets)
    text = detail_text(detail).strip()
    if isinstance(body, str) and _TAG.search(text):
        text = _page_words(text)
    kwargs: dict[str, Any] = {
        "request_id": rid,
        "status_code": status,
        "error_type": etype,
        "detail": detail,
    }
    if status in (401, 403):
        what = "was refused: the key is not valid" if status == 401 else "was refused (403)"
        return AuthError(f"{where} {what}: {text or 'no reason given'}", **kwargs)
    if status == 404:
        return NotFound(f"{where} failed: not found (404): {text or 'no detail'}", **kwargs)
    if status == 422:
        errors = normalize_validation_errors(detail)
        listed = "; ".join(
            f"{'.'.join(str(p) for p in e['loc'] if p != 'body') or 'input'}: {e['msg']}"
            for e in errors
        )
        return InputRejected(f"{where} failed validation (422): {listed}", errors=errors, **kwargs)
    if status == 429:
        retry_after = parse_retry_after(response.headers.get("retry-after"))
        hint = f"; retry after {retry_after:.0f}s" if retry_after is not None else ""
        return RateLimited(
            f"{where} was rate limited (429){hint}: {text or 'too many requests'}",
            retry_after=retry_after,
            **kwargs,
        )
    if is_cancellation(etype):
        return Cancelled(f"{where}: the request was cancelled: {text}", **kwargs)
    if status >= 500:
        label = f" [{etype}]" if etype else ""
        return ServerError(f"{where} failed with HTTP {status}{label}: {text}", **kwargs)
    label = f" [{etype}]" if etype else ""
    return FalError(f"{where} failed with HTTP {status}{label}: {text}", **kwargs)
