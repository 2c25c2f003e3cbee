"""What a run costs before it starts: the unit price line, the estimate for given inputs, and the
confirmation gate for sweeps and compares above ``FALWIDGETS_CONFIRM_ABOVE`` (default $1).

Prices come from the platform API (``client.pricing``, disk-cached) of wherever runs go: fal, or
the local server's demo prices. A price that cannot be had (no price listed, no key, a proxy that
does not forward the platform API, a network error) is "price unknown": never a guess.

Counting units from inputs is a registry (:data:`UNIT_COUNTERS`: billing unit -> function of the
inputs and the schema's defaults giving units per call); a unit with no counter is not countable
and has no estimate.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from falwidgets.client._models import Price
from falwidgets.schema._canonical import SIZE_PRESETS

CONFIRM_ENV = "FALWIDGETS_CONFIRM_ABOVE"
DEFAULT_CONFIRM_ABOVE = 1.0
PRICE_TIMEOUT = 10.0
UNKNOWN = "price unknown"

Counter = Callable[[Mapping[str, Any]], "float | None"]


def _number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value.strip().rstrip("s"))
        except ValueError:
            return None
    return None


def _count(values: Mapping[str, Any]) -> float:
    for name in ("num_images", "num_outputs", "num_samples"):
        n = _number(values.get(name))
        if n is not None:
            return n
    return 1.0


def _per_image(values: Mapping[str, Any]) -> float | None:
    return _count(values)


def _per_call(values: Mapping[str, Any]) -> float | None:
    return 1.0


def _megapixels(values: Mapping[str, Any]) -> float | None:
    size = values.get("image_size")
    wh: tuple[float, float] | None
    if isinstance(size, str):
        wh = SIZE_PRESETS.get(size)
    elif isinstance(size, Mapping):
        w, h = _number(size.get("width")), _number(size.get("height"))
        wh = (w, h) if w and h else None
    else:
        wh = None
    if wh is None:
        return None  # the size is not known from the inputs (e.g. aspect ratio + resolution)
    return wh[0] * wh[1] / 1_000_000 * _count(values)


def _seconds(values: Mapping[str, Any]) -> float | None:
    for name in ("duration", "duration_seconds", "video_duration", "seconds"):
        n = _number(values.get(name))
        if n is not None:
            return n
    return None


# billing unit (lower case, as fal's pricing names it) -> units per call from the inputs
UNIT_COUNTERS: dict[str, Counter] = {
    "image": _per_image,
    "images": _per_image,
    "megapixels": _megapixels,
    "megapixel": _megapixels,
    "seconds": _seconds,
    "second": _seconds,
    "video": _per_call,
    "videos": _per_call,
    "audio": _per_call,
    "request": _per_call,
    "requests": _per_call,
    "call": _per_call,
    "generation": _per_call,
}


def confirm_above() -> float:
    """The threshold in USD above which a batch waits for confirmation."""
    raw = os.environ.get(CONFIRM_ENV, "").strip()
    if not raw:
        return DEFAULT_CONFIRM_ABOVE
    try:
        value = float(raw)
    except ValueError:
        raise ValueError(f"{CONFIRM_ENV} must be a number of dollars, got {raw!r}") from None
    if value < 0:
        raise ValueError(f"{CONFIRM_ENV} must be >= 0, got {raw!r}")
    return value


def money(amount: float, currency: str = "USD") -> str:
    symbol = "$" if currency == "USD" else f"{currency} "
    return f"{symbol}{amount:,.2f}" if amount >= 0.1 else f"{symbol}{amount:.4g}"


def prices(endpoints: Iterable[str], client: Any = None) -> dict[str, Price]:
    """Known unit prices where runs go (the app's backend unless ``client``); {} when unknown."""
    from falwidgets.runner import _loop
    from falwidgets.runner._backend import backend_for

    ids = [e for e in dict.fromkeys(endpoints) if e]
    if not ids:
        return {}
    try:
        target = backend_for(client).client
        return _loop.run_sync(target.pricing(ids), timeout=PRICE_TIMEOUT)
    except Exception:  # no key, proxy, offline, timeout: the price is unknown, not an error
        return {}


def price_of(endpoint: str, client: Any = None) -> Price | None:
    return prices([endpoint], client).get(endpoint)


def price_line(endpoint: str, *, client: Any = None, price: Price | None = None) -> str:
    """The app header's price line: ``"$0.025 per image"`` or ``"price unknown"``."""
    price = price or price_of(endpoint, client)
    return str(price) if price is not None else UNKNOWN


def units_for(unit: str, inputs: Mapping[str, Any], defaults: Mapping[str, Any]) -> float | None:
    """Billing units one call with ``inputs`` uses (schema ``defaults`` fill the gaps), or None
    when they cannot be counted from the inputs."""
    counter = UNIT_COUNTERS.get(unit.strip().lower())
    return counter({**defaults, **inputs}) if counter else None


def schema_defaults(endpoint: str) -> dict[str, Any]:
    from falwidgets.schema import load_endpoint

    try:
        return load_endpoint(endpoint).defaults()
    except Exception:  # an endpoint outside the catalogue: only the inputs count
        return {}


def estimate_for(
    endpoint: str,
    inputs: Mapping[str, Any],
    *,
    client: Any = None,
    price: Price | None = None,
    defaults: Mapping[str, Any] | None = None,
) -> float | None:
    """The estimated cost of one call with ``inputs`` (unit price x units counted from them), or
    None when the price is unknown or the unit is not countable from the inputs."""
    price = price or price_of(endpoint, client)
    if price is None:
        return None
    units = units_for(
        price.unit, inputs, schema_defaults(endpoint) if defaults is None else defaults
    )
    return None if units is None else price.unit_price * units


def batch_total(
    calls: Iterable[tuple[str, Mapping[str, Any]]], *, client: Any = None
) -> tuple[float, int]:
    """The estimated total of several calls and how many of them could not be estimated."""
    calls = list(calls)
    known = prices((e for e, _ in calls), client)
    defaults: dict[str, dict[str, Any]] = {}
    total, unknown = 0.0, 0
    for endpoint, inputs in calls:
        price = known.get(endpoint)
        if endpoint not in defaults:
            defaults[endpoint] = schema_defaults(endpoint)
        cost = (
            estimate_for(endpoint, inputs, price=price, defaults=defaults[endpoint])
            if price
            else None
        )
        if cost is None:
            unknown += 1
        else:
            total += cost
    return total, unknown


def total_text(total: float, unknown: int, count: int) -> str:
    """``"estimated total $1.20"``, with the calls that have no estimate named."""
    if unknown == count:
        return f"estimated total: {UNKNOWN}"
    text = f"estimated total {money(total)}"
    return text + (f" (+ {unknown} call(s) with {UNKNOWN})" if unknown else "")


class ConfirmationRequired(RuntimeError):
    """A batch above ``FALWIDGETS_CONFIRM_ABOVE`` was waited on before it was confirmed."""


def run_costs(
    runs: Iterable[tuple[str, str, Mapping[str, Any]]], *, client: Any = None
) -> tuple[dict[str, float | None], float, int]:
    """Estimated cost per finished run for the history: ``runs`` are ``(request_id, endpoint,
    arguments)`` (e.g. from journal entries with status COMPLETED); returns ``{request_id: cost
    or None}``, the total of the known ones and how many are unknown. An estimate from the unit
    price, not fal's bill (``/v1/models/billing-events`` has that, with an Admin key)."""
    runs = list(runs)
    known = prices((endpoint for _, endpoint, _ in runs), client)
    defaults: dict[str, dict[str, Any]] = {}
    costs: dict[str, float | None] = {}
    for request_id, endpoint, arguments in runs:
        price = known.get(endpoint)
        if price is not None and endpoint not in defaults:
            defaults[endpoint] = schema_defaults(endpoint)
        costs[request_id] = (
            estimate_for(endpoint, arguments, price=price, defaults=defaults[endpoint])
            if price is not None
            else None
        )
    total = sum(c for c in costs.values() if c is not None)
    return costs, total, sum(c is None for c in costs.values())
