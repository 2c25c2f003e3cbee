"""Inputs diff for comparing two runs: flatten both argument dicts and line them up by path.

The history's comparison (``_history_widget.compare_data``) shows every row with the differing
ones highlighted; drawing is the browser's."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_ABSENT = object()


def flatten(value: Any, prefix: str = "") -> dict[str, Any]:
    """Nested inputs as dotted paths (``{"a.b": 1, "l[0].x": 2}``); scalar lists stay whole."""
    out: dict[str, Any] = {}
    if isinstance(value, Mapping) and value:
        for key, sub in value.items():
            out.update(flatten(sub, f"{prefix}.{key}" if prefix else str(key)))
    elif isinstance(value, list) and any(isinstance(v, (Mapping, list)) for v in value):
        for i, sub in enumerate(value):
            out.update(flatten(sub, f"{prefix}[{i}]"))
    else:
        out[prefix or "(input)"] = value
    return out


def rows(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[tuple[str, Any, Any, bool]]:
    """Every input path with both values and whether they differ (absent values are
    ``diff.ABSENT``). Paths keep the left input's order, then the right's new ones."""
    a, b = flatten(dict(left or {})), flatten(dict(right or {}))
    out = []
    for path in [*a, *(k for k in b if k not in a)]:
        va, vb = a.get(path, _ABSENT), b.get(path, _ABSENT)
        out.append((path, va, vb, va != vb))
    return out


def diff(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """Rows ``(path, left, right)`` for every path whose values differ (see `rows`)."""
    return [(path, va, vb) for path, va, vb, differs in rows(left, right) if differs]


diff.ABSENT = _ABSENT  # type: ignore[attr-defined]
