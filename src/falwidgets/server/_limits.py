"""Demo work limits: bounds the real fal schemas leave open, checked at submit with fal's 422 shape.

Several real schemas put no maximum on work (`fal-ai/flux-realism` takes any
`num_inference_steps`, any `num_images`, any `image_size`), so one request could tie a demo worker
up for a year or allocate gigabytes. Demo endpoints register bounds here next to their registration;
a submit beyond them gets `422 {"detail": [{"loc": ["body", ...], "type": "less_than_equal", ...}]}`
before it is queued. Users' own `@endpoint` functions may register limits the same way.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

DEMO_NOTE = " (local demo server limit)"
# step fields of the demos: about a minute of simulated work at --speed 1 (30 ms a step), enough
# to watch progress and cancel, never enough to hold a worker for long
DEMO_MAX_STEPS = 2000


@dataclass(frozen=True)
class Limit:
    """Bounds on the value at `loc` (keys into the input); absent or non-numeric values pass."""

    loc: tuple[str, ...]
    ge: float | None = None
    le: float | None = None
    max_items: int | None = None

    def errors(self, value: Any) -> list[dict[str, Any]]:
        loc = ["body", *self.loc]
        if isinstance(value, list) and self.max_items is not None and len(value) > self.max_items:
            msg = f"List should have at most {self.max_items} items, not {len(value)}"
            ctx = {"max_length": self.max_items, "actual_length": len(value)}
            return [{"loc": loc, "msg": msg + DEMO_NOTE, "type": "too_long", "ctx": ctx}]
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return []
        if self.le is not None and value > self.le:
            return _out_of_bound(
                loc, value, "le", self.le, "less than or equal to", "less_than_equal"
            )
        if self.ge is not None and value < self.ge:
            return _out_of_bound(
                loc, value, "ge", self.ge, "greater than or equal to", "greater_than_equal"
            )
        return []


def _out_of_bound(
    loc: list[Any], value: float, key: str, bound: float, words: str, kind: str
) -> list[dict[str, Any]]:
    """FastAPI's 422 detail for a number past its ``le``/``ge`` bound."""
    msg = f"Input should be {words} {bound:g}{DEMO_NOTE}"
    return [{"loc": loc, "msg": msg, "type": kind, "ctx": {key: bound}, "input": value}]


_LIMITS: dict[str, list[Limit]] = {}
_LOCK = threading.Lock()


def limit(
    endpoint_id: str,
    loc: str | tuple[str, ...],
    *,
    ge: float | None = None,
    le: float | None = None,
    max_items: int | None = None,
) -> None:
    """Bound one input field of an endpoint (`loc` is a key or a path of keys)."""
    path = (loc,) if isinstance(loc, str) else tuple(loc)
    with _LOCK:
        _LIMITS.setdefault(endpoint_id.strip("/"), []).append(Limit(path, ge, le, max_items))


def limits(endpoint_id: str) -> list[Limit]:
    with _LOCK:
        return list(_LIMITS.get(endpoint_id.strip("/"), ()))


def check_limits(endpoint_id: str, inp: Any) -> list[dict[str, Any]] | None:
    """fal 422 `detail` items for the validated input's out-of-bounds values, or None."""
    detail: list[dict[str, Any]] = []
    for bound in limits(endpoint_id):
        value: Any = inp
        for key in bound.loc:
            value = _child(value, key)
        detail.extend(bound.errors(value))
    return detail or None


def _child(node: Any, key: str) -> Any:
    """`node[key]` for dicts, the field with that alias or name for models, else None."""
    if isinstance(node, dict):
        return node.get(key)
    if isinstance(node, BaseModel):
        for name, info in type(node).model_fields.items():
            if key in (name, info.alias):
                return getattr(node, name, None)
        extra = node.model_extra or {}
        return extra.get(key)
    return None
