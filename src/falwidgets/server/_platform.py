"""fal's platform API (``/v1/...``, fal-platform.md §2) on the local server.

One router: :func:`platform_routes` returns the Starlette routes, one per entry of ``_HANDLERS``
(path -> handler factory). A new platform call (model search, pricing) is one more factory and one
more line in that table; the shared pieces (error shape, paging cursor, ``endpoint_id`` parsing,
ISO dates) are the helpers below.

``GET /v1/models/requests/by-endpoint`` follows §2.5: ``endpoint_id`` (1-50, repeated or
comma-separated), ``start`` (default now - 24 h, 90 days when ``request_id`` is given), ``end``
(default now, exclusive), ``status`` (``success|error|user_error``), ``request_id``,
``expand=payloads``, ``sort_by`` (``ended_at`` default, or ``duration``; newest/longest first),
``limit`` (default 50, max 100) and an opaque ``cursor`` (base64 of the page number, as fal's
``"Mg=="``). Items: ``request_id, endpoint_id, started_at, sent_at, ended_at, status_code,
duration`` and, with payloads, ``json_input`` / ``json_output``.

Where fal's documentation is silent the local server chooses, and says so:
- Queued and running requests **are** listed (``ended_at``, ``status_code`` and ``duration``
  null; first in the ``ended_at`` order), and the answer carries ``LISTS_IN_FLIGHT: complete``
  (see ``falwidgets._platform_wire``): clients may rely on absence from the listing.
- A finished request falls in ``[start, end)`` by its ``ended_at``; an unfinished one is listed
  when it was sent before ``end``.
- ``fal.run`` calls are not listed (they have no queue request to resume); queue requests are.
"""

from __future__ import annotations

import base64
import binascii
import time
import uuid
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from falwidgets._platform_wire import LISTS_IN_FLIGHT, LISTS_IN_FLIGHT_VALUE, REQUESTS_PATH
from falwidgets.server._history import HistoryRecord
from falwidgets.server._protocol import json_response

__all__ = ["PlatformError", "platform_routes"]

DEFAULT_WINDOW = 24 * 3600.0
REQUEST_ID_WINDOW = 90 * 24 * 3600.0
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
MAX_ENDPOINT_IDS = 50
_STATUSES = ("success", "error", "user_error")
_SORTS = ("ended_at", "duration")


class PlatformError(Exception):
    """A refusal in fal's platform error shape (§2.1)."""

    def __init__(self, status: int, kind: str, message: str) -> None:
        super().__init__(message)
        self.status, self.kind, self.message = status, kind, message

    def response(self) -> Response:
        return json_response({"error": {"type": self.kind, "message": self.message}}, self.status)


def invalid(message: str) -> PlatformError:
    return PlatformError(400, "validation_error", message)


# -- shared query helpers ------------------------------------------------------------------------
def iso(seconds: float | None) -> str | None:
    if seconds is None:
        return None
    return datetime.fromtimestamp(seconds, timezone.utc).isoformat().replace("+00:00", "Z")


def parse_time(request: Request, name: str) -> float | None:
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        value = datetime.fromisoformat(raw.strip().replace("Z", "+00:00").replace(" ", "+"))
    except ValueError:
        raise invalid(f"{name} must be an ISO 8601 date-time, got {raw!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=timezone.utc)
    return value.timestamp()


def endpoint_ids(request: Request, *, required: bool) -> list[str]:
    """``endpoint_id`` repeated or comma-separated, 1-50 ids."""
    ids = [
        part.strip()
        for value in request.query_params.getlist("endpoint_id")
        for part in value.split(",")
        if part.strip()
    ]
    if required and not ids:
        raise invalid("endpoint_id is required (1 to 50 endpoint ids)")
    if len(ids) > MAX_ENDPOINT_IDS:
        raise invalid(f"endpoint_id takes at most {MAX_ENDPOINT_IDS} ids, got {len(ids)}")
    return list(dict.fromkeys(ids))


def page_bounds(request: Request) -> tuple[int, int]:
    """``(limit, page)`` from ``limit`` and the opaque ``cursor``."""
    raw_limit = request.query_params.get("limit")
    limit = DEFAULT_LIMIT
    if raw_limit is not None:
        if not raw_limit.strip().isdigit() or not 1 <= int(raw_limit) <= MAX_LIMIT:
            raise invalid(f"limit must be an integer from 1 to {MAX_LIMIT}, got {raw_limit!r}")
        limit = int(raw_limit)
    cursor = request.query_params.get("cursor")
    page = 0
    if cursor:
        try:
            page = int(base64.b64decode(cursor, validate=True).decode())
        except (binascii.Error, ValueError, UnicodeDecodeError):
            raise invalid(f"cursor {cursor!r} is not a cursor this API returned") from None
        if page < 0:
            raise invalid(f"cursor {cursor!r} is not a cursor this API returned")
    return limit, page


def paged(items: list[Any], limit: int, page: int) -> tuple[list[Any], str | None, bool]:
    """One page of ``items`` plus fal's ``next_cursor`` and ``has_more``."""
    chunk = items[page * limit : (page + 1) * limit]
    more = len(items) > (page + 1) * limit
    cursor = base64.b64encode(str(page + 1).encode()).decode() if more else None
    return chunk, cursor, more


def expansions(request: Request) -> set[str]:
    return {
        part.strip()
        for value in request.query_params.getlist("expand")
        for part in value.split(",")
        if part.strip()
    }


# -- /v1/models/requests/by-endpoint ------------------------------------------------------------
def _item(record: HistoryRecord, payloads: bool, outward: Callable[[Any], Any]) -> dict[str, Any]:
    job = record.job
    item: dict[str, Any] = {
        "request_id": record.request_id,
        "endpoint_id": record.endpoint_id,
        "started_at": iso(job.started),
        "sent_at": iso(record.sent_at),
        "ended_at": iso(record.ended_at),
        "status_code": record.status_code,
        "duration": record.duration,
    }
    if payloads:
        item["json_input"] = outward(record.json_input)
        item["json_output"] = outward(record.json_output())
    return item


def _requests_by_endpoint(state: Any) -> Callable[[Request], Any]:
    async def handler(request: Request) -> Response:
        try:
            ids = endpoint_ids(request, required=True)
            request_id = request.query_params.get("request_id")
            if request_id is not None:
                try:
                    uuid.UUID(request_id)
                except ValueError:
                    raise invalid(f"request_id must be a UUID, got {request_id!r}") from None
            now = time.time()
            end = parse_time(request, "end") or now
            window = REQUEST_ID_WINDOW if request_id else DEFAULT_WINDOW
            start = parse_time(request, "start") or now - window
            status = request.query_params.get("status")
            if status is not None and status not in _STATUSES:
                raise invalid(f"status must be one of {', '.join(_STATUSES)}, got {status!r}")
            sort_by = request.query_params.get("sort_by") or "ended_at"
            if sort_by not in _SORTS:
                raise invalid(f"sort_by must be one of {', '.join(_SORTS)}, got {sort_by!r}")
            unknown = expansions(request) - {"payloads"}
            if unknown:
                raise invalid(f"expand takes only payloads, got {sorted(unknown)}")
            payloads = "payloads" in expansions(request)
            limit, page = page_bounds(request)
        except PlatformError as error:
            return error.response()
        wanted = set(ids)
        with state.queue.lock:  # records read live jobs: one consistent view
            chosen = []
            for record in state.queue.history:
                if record.endpoint_id not in wanted:
                    continue
                if request_id is not None and record.request_id != request_id:
                    continue
                if status is not None and record.outcome != status:
                    continue
                ended = record.ended_at
                if ended is None:
                    if record.sent_at >= end:
                        continue
                elif not start <= ended < end:
                    continue
                chosen.append(record)
            if sort_by == "duration":
                chosen.sort(key=lambda r: (r.duration is None, -(r.duration or 0.0)))
            else:
                chosen.sort(key=lambda r: (r.ended_at is not None, -(r.ended_at or r.sent_at)))
            items, cursor, more = paged(chosen, limit, page)
            outward = lambda value: state.outward(request, value)  # noqa: E731
            body = {
                "items": [_item(r, payloads, outward) for r in items],
                "next_cursor": cursor,
                "has_more": more,
            }
        promise = {LISTS_IN_FLIGHT.replace("-", "_"): LISTS_IN_FLIGHT_VALUE}
        return json_response(body, 200, **promise)

    return handler


# path -> handler factory; issue 13 adds /v1/models and pricing here
_HANDLERS: dict[str, Callable[[Any], Callable[[Request], Any]]] = {
    REQUESTS_PATH: _requests_by_endpoint,
}


def platform_routes(state: Any) -> list[Route]:
    """The ``/v1`` routes for one server (``state``: its ``ServerState``)."""
    return [Route(path, make(state), methods=["GET"]) for path, make in _HANDLERS.items()]
