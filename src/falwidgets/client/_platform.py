"""fal's platform API: the server-side request history (``GET /v1/models/requests/by-endpoint``).

fal keeps every request with its input and output (fal-platform.md §2.5): runs made in the web
Playground, on another laptop or by a kernel that died without a journal can be found again, and a
submit whose answer was lost can be looked up (see ``_reconcile``). Neither official client wraps
it. Here it is one sans-IO op per page (:func:`page_op`) and one paging iterator over typed
:class:`RequestRecord` values (:func:`requests_op`, behind ``Client.requests``).

The URL is ``{hosts.api}/v1/models/requests/by-endpoint`` (``https://api.fal.ai`` by default; a
one-server ``base_url`` serves it at ``<base>/v1``). Listing is a read, so it is retried like a
status call. A page's ``complete`` flag is the server's explicit promise that in-flight requests
are listed (``falwidgets._platform_wire.LISTS_IN_FLIGHT``); fal gives no such promise.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from typing import Any

from falwidgets._platform_wire import LISTS_IN_FLIGHT, LISTS_IN_FLIGHT_VALUE, REQUESTS_PATH
from falwidgets.client._errors import ServerError
from falwidgets.client._ops import Emit, Op
from falwidgets.client._retry import Deadline
from falwidgets.client._urls import parse_endpoint

__all__ = ["STATUSES", "Page", "RequestRecord", "page_op", "requests_op", "to_time"]

STATUSES = ("success", "error", "user_error")
PAGE_LIMIT = 100  # fal's maximum
TimeLike = datetime | float | int | str | timedelta


def to_time(value: TimeLike | None, name: str) -> str | None:
    """``value`` as the ISO 8601 text the API takes: a datetime (naive = UTC), epoch seconds,
    an ISO string, or a timedelta meaning that long ago."""
    if value is None:
        return None
    if isinstance(value, timedelta):
        value = datetime.now(timezone.utc) - value
    if isinstance(value, bool):
        raise TypeError(f"{name} must be a datetime, epoch seconds, ISO text or timedelta")
    if isinstance(value, (int, float)):
        value = datetime.fromtimestamp(float(value), timezone.utc)
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip().replace("Z", "+00:00"))
        except ValueError:
            raise ValueError(f"{name} must be an ISO 8601 date-time, got {value!r}") from None
    if not isinstance(value, datetime):
        raise TypeError(
            f"{name} must be a datetime, epoch seconds, ISO text or timedelta, "
            f"got {type(value).__name__}"
        )
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.astimezone(timezone.utc).isoformat().replace("+00:00", "Z")


def _parse_time(value: Any) -> datetime | None:
    if not isinstance(value, str) or not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)


@dataclass(frozen=True)
class RequestRecord:
    """One request in fal's history. ``json_input``/``json_output`` only with ``payloads=True``
    (``has_payloads``); times are UTC; ``status_code`` and ``ended_at`` are ``None`` while a
    request is queued or running (on servers that list those)."""

    request_id: str
    endpoint_id: str
    started_at: datetime | None
    sent_at: datetime | None
    ended_at: datetime | None
    status_code: int | None
    duration: float | None
    json_input: Any = field(default=None, repr=False)
    json_output: Any = field(default=None, repr=False)
    has_payloads: bool = False

    @property
    def done(self) -> bool:
        return self.ended_at is not None or self.status_code is not None

    @property
    def ok(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    @classmethod
    def from_json(cls, item: Any) -> RequestRecord:
        if not isinstance(item, dict) or not isinstance(item.get("request_id"), str):
            raise ValueError(f"not a request history item: {str(item)[:200]!r}")
        code = item.get("status_code")
        duration = item.get("duration")
        return cls(
            request_id=item["request_id"],
            endpoint_id=str(item.get("endpoint_id") or ""),
            started_at=_parse_time(item.get("started_at")),
            sent_at=_parse_time(item.get("sent_at")),
            ended_at=_parse_time(item.get("ended_at")),
            status_code=code if isinstance(code, int) and not isinstance(code, bool) else None,
            duration=float(duration) if isinstance(duration, (int, float)) else None,
            json_input=item.get("json_input"),
            json_output=item.get("json_output"),
            has_payloads="json_input" in item or "json_output" in item,
        )


@dataclass(frozen=True)
class Page:
    """One answer: its records, the cursor of the next page, and whether the server promised
    that the listing includes every request it had accepted (queued and running too)."""

    records: list[RequestRecord]
    next_cursor: str | None
    complete: bool


def query(
    endpoint_ids: str | Iterable[str],
    *,
    since: TimeLike | None = None,
    until: TimeLike | None = None,
    status: str | None = None,
    request_id: str | None = None,
    payloads: bool = False,
    limit: int = PAGE_LIMIT,
) -> dict[str, str]:
    """The query string of a listing; every argument is checked here, at the call."""
    ids = [endpoint_ids] if isinstance(endpoint_ids, str) else list(endpoint_ids)
    if not 1 <= len(ids) <= 50:
        raise ValueError(f"give 1 to 50 endpoint ids, got {len(ids)}")
    names = [parse_endpoint(e).full for e in ids]
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
    if request_id is not None and (not isinstance(request_id, str) or not request_id.strip()):
        raise ValueError(f"request_id must be a non-empty string, got {request_id!r}")
    if not isinstance(limit, int) or not 1 <= limit <= PAGE_LIMIT:
        raise ValueError(f"limit must be an integer from 1 to {PAGE_LIMIT}, got {limit!r}")
    params = {"endpoint_id": ",".join(names), "limit": str(limit)}
    for key, value in (("start", to_time(since, "since")), ("end", to_time(until, "until"))):
        if value is not None:
            params[key] = value
    if status is not None:
        params["status"] = status
    if request_id is not None:
        params["request_id"] = request_id.strip()
    if payloads:
        params["expand"] = "payloads"
    return params


def page_op(
    engine: Any, params: dict[str, str], cursor: str | None, deadline: Deadline
) -> Op[Page]:
    """Fetch one page (retried like any read)."""
    url = f"{engine.hosts.api}{REQUESTS_PATH}"
    action = f"request history of {params.get('endpoint_id')}"
    call = engine.call("GET", url, params={**params, "cursor": cursor} if cursor else params)
    response = yield from engine.send(call, deadline, action)
    if not response.is_success:
        body = _body(response)
        error = body.get("error") if isinstance(body, dict) else None
        kind = error.get("type") if isinstance(error, dict) else None
        raise engine.fail(response, action, error_type=kind)
    body = _body(response)
    items = body.get("items") if isinstance(body, dict) else None
    if not isinstance(items, list):
        raise ServerError(
            f"{action}: the answer has no items list: {response.text[:200]!r}",
            status_code=response.status_code,
        )
    try:
        records = [RequestRecord.from_json(item) for item in items]
    except ValueError as error:
        raise ServerError(f"{action}: {error}", status_code=response.status_code) from None
    more = bool(body.get("has_more"))
    cursor = body.get("next_cursor") if more else None
    promise = response.headers.get(LISTS_IN_FLIGHT, "").strip().lower()
    return Page(
        records, cursor if isinstance(cursor, str) else None, promise == LISTS_IN_FLIGHT_VALUE
    )


def _body(response: Any) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def requests_op(engine: Any, params: dict[str, str], page_seconds: float | None) -> Op[None]:
    """Emit every record of the listing, page after page; each page has its own deadline
    (``page_seconds``, default the client's read timeout): the caller reads at its own pace."""
    cursor: str | None = None
    seen: set[str] = set()  # a cursor that repeats a page (or a server that loops) ends it
    while True:
        deadline = Deadline(page_seconds or engine.timeout.read or 60.0)
        page = yield from page_op(engine, params, cursor, deadline)
        for record in page.records:
            yield Emit(record)
        if page.next_cursor is None or page.next_cursor in seen:
            return
        seen.add(page.next_cursor)
        cursor = page.next_cursor
