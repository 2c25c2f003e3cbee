"""Per-field validation for immediate feedback beside the control.

The schema layer's `field_errors(spec, value)` is the authority; first (and for speed on every
keystroke of leaf fields) a small structural check covers what a widget can get wrong: types,
bounds (inclusive and exclusive), `multipleOf`, lengths, patterns, enums, JSON.
"""

from __future__ import annotations

import json
import math
import re
from functools import lru_cache
from typing import Any

from falwidgets.schema import FieldSpec, field_errors

Error = dict[str, Any]


def check(spec: FieldSpec, value: Any) -> list[Error]:
    """Errors of one field's value (pydantic-shaped `{loc, msg, type}`; `loc` relative)."""
    errors = local_errors(spec, value)
    if errors:
        return errors
    if spec.kind in ("object", "array", "union"):
        return errors  # containers: their children validate themselves
    try:
        return list(field_errors(spec, value))
    except Exception:  # the widget must never fail because a validator did
        return errors


def _err(msg: str, kind: str, loc: tuple[Any, ...] = ()) -> list[Error]:
    return [{"loc": list(loc), "msg": msg, "type": kind}]


def local_errors(spec: FieldSpec, value: Any) -> list[Error]:
    """The structural checks (no Pydantic): fast enough for every keystroke."""
    if value is None:
        return [] if spec.nullable else _err("Input should not be null", "none_forbidden")
    kind = spec.kind
    if kind == "boolean" and not isinstance(value, bool):
        return _err("Input should be a valid boolean", "bool_type")
    if kind == "integer":
        if isinstance(value, bool) or not (
            isinstance(value, int) or (isinstance(value, float) and value.is_integer())
        ):
            return _err("Input should be a valid integer", "int_type")
        return _number_errors(spec, value)
    if kind == "number":
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            return _err("Input should be a valid number", "float_type")
        if isinstance(value, float) and not math.isfinite(value):
            return _err("Input should be a finite number", "finite_number")
        return _number_errors(spec, value)
    if kind == "enum" and spec.enum and value not in spec.enum:
        shown = ", ".join(repr(c) for c in spec.enum[:8]) + (", ..." if len(spec.enum) > 8 else "")
        return _err(f"Input should be one of {shown}", "enum")
    if kind == "const" and value != spec.const:
        return _err(f"Input should be {spec.const!r}", "literal_error")
    if kind == "string":
        if not isinstance(value, str):
            return _err("Input should be a valid string", "string_type")
        return _string_errors(spec, value)
    if kind == "array":
        if not isinstance(value, list):
            return _err("Input should be a valid list", "list_type")
        if spec.min_items is not None and len(value) < spec.min_items:
            return _err(f"List should have at least {spec.min_items} items", "too_short")
        if spec.max_items is not None and len(value) > spec.max_items:
            return _err(f"List should have at most {spec.max_items} items", "too_long")
    if kind == "object" and not isinstance(value, dict):
        return _err("Input should be a valid dictionary", "dict_type")
    return []


def _number_errors(spec: FieldSpec, value: float) -> list[Error]:
    if spec.minimum is not None and value < spec.minimum:
        return _err(
            f"Input should be greater than or equal to {_n(spec.minimum)}", "greater_than_equal"
        )
    if spec.maximum is not None and value > spec.maximum:
        return _err(f"Input should be less than or equal to {_n(spec.maximum)}", "less_than_equal")
    if spec.exclusive_minimum is not None and value <= spec.exclusive_minimum:
        return _err(f"Input should be greater than {_n(spec.exclusive_minimum)}", "greater_than")
    if spec.exclusive_maximum is not None and value >= spec.exclusive_maximum:
        return _err(f"Input should be less than {_n(spec.exclusive_maximum)}", "less_than")
    step = spec.multiple_of
    if step:
        ratio = value / step
        if abs(ratio - round(ratio)) > 1e-9 * max(1.0, abs(ratio)):
            return _err(f"Input should be a multiple of {_n(step)}", "multiple_of")
    return []


def _reject_constant(name: str) -> Any:
    raise ValueError(f"{name} is not valid JSON")


def loads_json(text: str) -> Any:
    """Parse JSON strictly: `json.loads` accepts NaN and Infinity, which JSON (and fal) do not."""
    return json.loads(text, parse_constant=_reject_constant)


def _string_errors(spec: FieldSpec, value: str) -> list[Error]:
    if spec.min_length is not None and len(value) < spec.min_length:
        return _err(f"String should have at least {spec.min_length} characters", "string_too_short")
    if spec.max_length is not None and len(value) > spec.max_length:
        return _err(f"String should have at most {spec.max_length} characters", "string_too_long")
    if spec.pattern and _search(spec.pattern, value) is False:
        return _err(f"String should match pattern '{spec.pattern}'", "string_pattern_mismatch")
    if spec.role == "json" and value.strip():
        try:
            loads_json(value)
        except ValueError as exc:
            return _err(f"Invalid JSON: {exc}", "json_invalid")
    return []


@lru_cache(maxsize=256)
def _compile(pattern: str) -> re.Pattern[str] | None:
    try:
        return re.compile(pattern)
    except re.error:
        return None  # a pattern Python cannot read is not the user's fault


def _search(pattern: str, value: str) -> bool | None:
    compiled = _compile(pattern)
    return None if compiled is None else compiled.search(value) is not None


def _n(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else str(x)
