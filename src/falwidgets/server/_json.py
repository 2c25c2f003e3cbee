"""Strict JSON for request bodies: what `json.loads` accepts but a JSON response cannot echo back.

Python's decoder takes `NaN`, `Infinity` and `1e999` (which becomes `inf`), and recurses once per
nesting level. Echoing such values in a 422 body (Starlette refuses non-finite floats) or hashing
deeply nested input would fail with a 500, so they are refused here as malformed JSON instead.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable
from typing import Any

# fal inputs are a few levels deep; 64 leaves room for any real schema and stays far below the
# interpreter's recursion limit in json.dumps, pydantic and our own walkers
MAX_DEPTH = 64


class BadJson(ValueError):
    """The body is not strict JSON (RFC 8259) within the nesting limit."""


def _no_constant(name: str) -> Any:
    raise BadJson(f"{name} is not valid JSON (only finite numbers are allowed)")


def _finite(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        raise BadJson(f"number {text[:40]} is out of range")
    return value


def loads_strict(raw: bytes | str) -> Any:
    """Decode JSON, refusing NaN/Infinity, out-of-range floats and nesting deeper than MAX_DEPTH."""
    try:
        value = json.loads(raw, parse_constant=_no_constant, parse_float=_finite)
    except RecursionError:
        raise BadJson(f"JSON nested deeper than {MAX_DEPTH} levels") from None
    except BadJson:
        raise
    except (ValueError, UnicodeDecodeError) as exc:  # JSONDecodeError, int digit limit
        raise BadJson(str(exc)) from None
    if depth(value) > MAX_DEPTH:
        raise BadJson(f"JSON nested deeper than {MAX_DEPTH} levels")
    return value


def depth(value: Any) -> int:
    """Nesting depth of decoded JSON (iterative: safe for any depth)."""
    deepest = 0
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        node, level = stack.pop()
        children: Iterable[Any]
        if isinstance(node, dict):
            children = node.values()
        elif isinstance(node, list):
            children = node
        else:
            continue
        deepest = max(deepest, level)
        if level > MAX_DEPTH:
            return level
        stack.extend((child, level + 1) for child in children)
    return deepest
