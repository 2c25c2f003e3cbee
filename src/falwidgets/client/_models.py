"""fal's platform model APIs: search (``GET /v1/models``), prices (``GET /v1/models/pricing``)
and cost estimates (``POST /v1/models/pricing/estimate``), fal-platform.md §2.2-2.3.

Neither official client wraps them. They are written once as sans-IO operations (``_ops``), so
``Client`` and ``AsyncClient`` share them through thin methods. Answers are cached on disk for
:data:`CACHE_SECONDS` (under ``_home.cache_dir()/platform``): a browser that re-runs a search or a
form that shows a price line per keystroke should not call fal each time. The cache key hashes
the URL, the query and a digest of the credentials (an account can have custom prices); the key
itself is never written.

Where the platform API lives is ``Hosts.api``, the request history's rule too:
``https://api.fal.ai`` for fal, and the server itself for a client pointed at one (``base_url``),
which serves ``<base>/v1/...`` like ``falwidgets serve``.
"""

from __future__ import annotations

import hashlib
import json
import os
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from falwidgets.client._errors import ServerError
from falwidgets.client._ops import Blocking, Emit, Op
from falwidgets.client._retry import Deadline
from falwidgets.client._urls import parse_endpoint

__all__ = [
    "CACHE_SECONDS",
    "Estimate",
    "ModelRecord",
    "Price",
    "estimate_op",
    "models_op",
    "pricing_op",
]

CACHE_SECONDS = 300.0
MAX_IDS = 50  # fal: endpoint_id takes 1-50 ids
PAGE_LIMIT = 50
PAGE_LIMIT_OPENAPI = 10  # fal: the maximum shrinks with expansions
STATUSES = ("active", "deprecated")


@dataclass(frozen=True)
class ModelRecord:
    """One model of ``/v1/models``. ``metadata`` is fal's full record (empty when fal has no
    registry entry); ``openapi`` the document with ``openapi=True`` (``None`` if its expansion
    failed, with ``openapi_error`` saying why)."""

    endpoint_id: str
    display_name: str
    category: str
    description: str
    status: str
    tags: tuple[str, ...]
    thumbnail_url: str | None
    metadata: dict[str, Any] = field(default_factory=dict, repr=False)
    openapi: dict[str, Any] | None = field(default=None, repr=False)
    openapi_error: str | None = None

    @classmethod
    def from_json(cls, item: Any) -> ModelRecord:
        if not isinstance(item, dict) or not isinstance(item.get("endpoint_id"), str):
            raise ValueError(f"not a model record: {str(item)[:200]!r}")
        found = item.get("metadata")
        meta: dict[str, Any] = found if isinstance(found, dict) else {}
        doc = item.get("openapi")
        error = doc.get("error") if isinstance(doc, dict) else None
        return cls(
            endpoint_id=item["endpoint_id"],
            display_name=str(meta.get("display_name") or item["endpoint_id"]),
            category=str(meta.get("category") or ""),
            description=str(meta.get("description") or ""),
            status=str(meta.get("status") or ""),
            tags=tuple(str(t) for t in meta.get("tags") or ()),
            thumbnail_url=meta.get("thumbnail_url") or None,
            metadata=dict(meta),
            openapi=doc if isinstance(doc, dict) and error is None else None,
            openapi_error=str(error.get("message") or error) if isinstance(error, dict) else None,
        )


@dataclass(frozen=True)
class Price:
    """The unit price of one endpoint: ``unit_price`` ``currency`` per ``unit``."""

    endpoint_id: str
    unit_price: float
    unit: str
    currency: str

    def __str__(self) -> str:
        symbol = "$" if self.currency == "USD" else f"{self.currency} "
        return f"{symbol}{self.unit_price:g} per {self.unit}"


@dataclass(frozen=True)
class Estimate:
    """A cost estimate: ``total_cost`` in ``currency`` (``estimate_type`` says which kind)."""

    estimate_type: str
    total_cost: float
    currency: str


# -- checks --------------------------------------------------------------------------------------
def _ids(endpoint_ids: str | Iterable[str]) -> list[str]:
    ids = [endpoint_ids] if isinstance(endpoint_ids, str) else list(endpoint_ids)
    if not ids:
        raise ValueError("give at least one endpoint id")
    return [parse_endpoint(e).full for e in ids]


def models_query(
    q: str | None = None,
    *,
    category: str | None = None,
    endpoint_ids: str | Iterable[str] | None = None,
    status: str | None = None,
    openapi: bool = False,
    limit: int | None = None,
) -> list[tuple[str, str]]:
    """The query of a search (pairs: ``endpoint_id`` repeats); every argument checked here."""
    params: list[tuple[str, str]] = []
    if q is not None:
        if not isinstance(q, str):
            raise TypeError(f"q must be a string, got {type(q).__name__}")
        if q.strip():
            params.append(("q", q.strip()))
    if category is not None:
        if not isinstance(category, str) or not category.strip():
            raise ValueError(f"category must be a non-empty string, got {category!r}")
        params.append(("category", category.strip()))
    if endpoint_ids is not None:
        ids = _ids(endpoint_ids)
        if len(ids) > MAX_IDS:
            raise ValueError(f"give 1 to {MAX_IDS} endpoint ids, got {len(ids)}")
        params += [("endpoint_id", e) for e in ids]
    if status is not None and status not in STATUSES:
        raise ValueError(f"status must be one of {STATUSES}, got {status!r}")
    if status:
        params.append(("status", status))
    if openapi:
        params.append(("expand", "openapi-3.0"))
    if limit is None:
        limit = PAGE_LIMIT_OPENAPI if openapi else PAGE_LIMIT
    if not isinstance(limit, int) or isinstance(limit, bool) or limit < 1:
        raise ValueError(f"limit must be a positive integer, got {limit!r}")
    params.append(("limit", str(limit)))
    return params


def estimate_body(
    calls: Mapping[str, float] | None = None, *, units: Mapping[str, float] | None = None
) -> dict[str, Any]:
    """The estimate body: ``calls`` (historical price per call) or ``units`` (unit price x
    billing units), exactly one."""
    if (calls is None) == (units is None):
        raise ValueError("give either calls={endpoint_id: n} or units={endpoint_id: n}")
    given = calls if calls is not None else units
    assert given is not None
    if not isinstance(given, Mapping) or not given:
        raise ValueError("the estimate needs a non-empty {endpoint_id: quantity} mapping")
    key = "call_quantity" if calls is not None else "unit_quantity"
    endpoints: dict[str, dict[str, float]] = {}
    for endpoint_id, quantity in given.items():
        if isinstance(quantity, bool) or not isinstance(quantity, (int, float)) or quantity < 0:
            raise ValueError(f"{key} of {endpoint_id!r} must be a number >= 0, got {quantity!r}")
        endpoints[parse_endpoint(endpoint_id).full] = {key: quantity}
    kind = "historical_api_price" if calls is not None else "unit_price"
    return {"estimate_type": kind, "endpoints": endpoints}


# -- disk cache ----------------------------------------------------------------------------------
def _cache_path(engine: Any, url: str, material: Any) -> Any:
    from falwidgets._home import cache_dir

    who = hashlib.sha256((engine.creds.key or "").encode()).hexdigest()
    digest = hashlib.sha256(json.dumps([who, url, material], sort_keys=True).encode())
    return cache_dir() / "platform" / (digest.hexdigest()[:40] + ".json")


def _cache_read(path: Any) -> Any:
    try:
        if time.time() - os.path.getmtime(path) > CACHE_SECONDS:
            return None
        with open(path, encoding="utf-8") as file:
            return json.load(file)
    except (OSError, ValueError):
        return None


def _cache_write(path: Any, body: Any) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(body), encoding="utf-8")
        tmp.replace(path)
    except OSError:
        pass  # a cache that cannot be written is only slower


def _fetch(
    engine: Any,
    method: str,
    path: str,
    action: str,
    deadline: Deadline,
    *,
    params: list[tuple[str, str]] | None = None,
    body: Any = None,
    cache: bool = True,
) -> Op[Any]:
    """One JSON call to the platform API, answered from the disk cache when fresh."""
    url = f"{engine.hosts.api}{path}"
    where = _cache_path(engine, url, [method, params, body])
    if cache:
        hit = yield Blocking(_cache_read, (where,))
        if hit is not None:
            return hit
    # search works without a key (fal: auth optional); pricing needs one
    auth = bool(engine.creds.key) or path != "/v1/models"
    kwargs: dict[str, Any] = {"json": body} if body is not None else {}
    call = engine.call(method, url, params=params, auth=auth, **kwargs)  # type: ignore[arg-type]
    response = yield from engine.send(call, deadline, action)
    try:
        answer = response.json()
    except ValueError:
        answer = None
    if not response.is_success:
        error = answer.get("error") if isinstance(answer, dict) else None
        kind = error.get("type") if isinstance(error, dict) else None
        raise engine.fail(response, action, error_type=kind)
    if not isinstance(answer, dict):
        raise ServerError(
            f"{action}: the answer is not a JSON object: {response.text[:200]!r}",
            status_code=response.status_code,
        )
    if cache:
        yield Blocking(_cache_write, (where, answer))
    return answer


def _deadline(engine: Any, seconds: float | None) -> Deadline:
    return Deadline(seconds or engine.timeout.read or 60.0)


def models_op(
    engine: Any, params: list[tuple[str, str]], page_seconds: float | None, cache: bool = True
) -> Op[None]:
    """Emit every :class:`ModelRecord` of a search, page after page (each page its own deadline)."""
    cursor: str | None = None
    seen: set[str] = set()
    while True:
        query = params + ([("cursor", cursor)] if cursor else [])
        body = yield from _fetch(
            engine,
            "GET",
            "/v1/models",
            "model search",
            _deadline(engine, page_seconds),
            params=query,
            cache=cache,
        )
        items = body.get("models")
        if not isinstance(items, list):
            raise ServerError(f"model search: the answer has no models list: {str(body)[:200]!r}")
        for item in items:
            try:
                record = ModelRecord.from_json(item)
            except ValueError as error:
                raise ServerError(f"model search: {error}") from None
            yield Emit(record)
        cursor = body.get("next_cursor") if body.get("has_more") else None
        if not isinstance(cursor, str) or not cursor or cursor in seen:
            return
        seen.add(cursor)


def pricing_op(
    engine: Any, endpoint_ids: str | Iterable[str], seconds: float | None, cache: bool = True
) -> Op[dict[str, Price]]:
    """Unit prices by endpoint id, 50 ids per call; an id fal does not price is absent."""
    ids = list(dict.fromkeys(_ids(endpoint_ids)))
    prices: dict[str, Price] = {}
    for start in range(0, len(ids), MAX_IDS):
        chunk = ids[start : start + MAX_IDS]
        cursor: str | None = None
        while True:
            query = [("endpoint_id", e) for e in chunk] + ([("cursor", cursor)] if cursor else [])
            body = yield from _fetch(
                engine,
                "GET",
                "/v1/models/pricing",
                f"prices of {', '.join(chunk[:3])}",
                _deadline(engine, seconds),
                params=query,
                cache=cache,
            )
            for item in body.get("prices") or []:
                try:
                    price = Price(
                        str(item["endpoint_id"]),
                        float(item["unit_price"]),
                        str(item["unit"]),
                        str(item.get("currency") or "USD"),
                    )
                except (KeyError, TypeError, ValueError):
                    raise ServerError(f"pricing: not a price: {str(item)[:200]!r}") from None
                prices[price.endpoint_id] = price
            cursor = body.get("next_cursor") if body.get("has_more") else None
            if not isinstance(cursor, str) or not cursor:
                break
    return prices


def estimate_op(engine: Any, body: dict[str, Any], seconds: float | None) -> Op[Estimate]:
    """The estimate of ``body`` (see :func:`estimate_body`)."""
    answer = yield from _fetch(
        engine,
        "POST",
        "/v1/models/pricing/estimate",
        "cost estimate",
        _deadline(engine, seconds),
        body=body,
    )
    try:
        return Estimate(
            str(answer["estimate_type"]), float(answer["total_cost"]), str(answer["currency"])
        )
    except (KeyError, TypeError, ValueError):
        raise ServerError(f"cost estimate: unexpected answer {str(answer)[:200]!r}") from None
