"""Inputs diff for comparing two runs: flatten both argument dicts and line them up by path."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from falwidgets.previews import esc

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


def diff(left: Mapping[str, Any], right: Mapping[str, Any]) -> list[tuple[str, Any, Any]]:
    """Rows ``(path, left, right)`` for every path whose values differ; absent values are
    ``diff.ABSENT``. Paths keep the left input's order, then the right's new ones."""
    a, b = flatten(dict(left or {})), flatten(dict(right or {}))
    rows = []
    for path in [*a, *(k for k in b if k not in a)]:
        va, vb = a.get(path, _ABSENT), b.get(path, _ABSENT)
        if va != vb:
            rows.append((path, va, vb))
    return rows


diff.ABSENT = _ABSENT  # type: ignore[attr-defined]


def _cell(value: Any) -> str:
    if value is _ABSENT:
        return '<i style="color:#888">absent</i>'
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    if len(text) > 300:
        text = text[:299] + "…"
    return f"<code>{esc(text)}</code>"


def diff_html(
    left: Mapping[str, Any], right: Mapping[str, Any], names: tuple[str, str] = ("A", "B")
) -> str:
    """An HTML table of the differing inputs (escaped), or a line saying they are identical."""
    rows = diff(left, right)
    if not rows:
        return '<div class="fw-diff fw-diff-same">Inputs are identical.</div>'
    body = "".join(
        f'<tr class="fw-diff-row"><th style="text-align:left">{esc(path)}</th>'
        f"<td>{_cell(va)}</td><td>{_cell(vb)}</td></tr>"
        for path, va, vb in rows
    )
    return (
        '<table class="fw-diff"><thead><tr><th>input</th>'
        f"<th>{esc(names[0])}</th><th>{esc(names[1])}</th></tr></thead>"
        f"<tbody>{body}</tbody></table>"
    )
