"""Sweep grids as data: the cartesian product of parameter values over base inputs.

Kept apart from the widgets so it is easy to test and reuse. Keys may be dotted paths
(``"image_size.width"``) to vary a field inside an object.
"""

from __future__ import annotations

import copy
import itertools
from collections.abc import Mapping, Sequence
from typing import Any

MAX_POINTS = 1000  # a typo in a grid should not queue a million jobs


class GridError(ValueError):
    """The grid given to ``sweep()`` cannot be expanded; the message names the key at fault."""


def _set_path(target: dict[str, Any], path: str, value: Any) -> None:
    parts = path.split(".")
    node = target
    for part in parts[:-1]:
        child = node.get(part)
        if not isinstance(child, dict):
            child = {}
            node[part] = child
        node = child
    node[parts[-1]] = value


def expand(
    base: Mapping[str, Any] | None, grid: Mapping[str, Sequence[Any]]
) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    """``[(params, arguments), ...]`` in row-major order (the last key varies fastest)."""
    if not isinstance(grid, Mapping) or not grid:
        raise GridError("grid must be a non-empty dict like {'seed': [1, 2, 3]}")
    axes: list[tuple[str, list[Any]]] = []
    for key, values in grid.items():
        if not isinstance(key, str) or not key:
            raise GridError(f"grid key {key!r} must be a field name (a non-empty string)")
        if isinstance(values, (str, bytes)) or not isinstance(values, Sequence):
            raise GridError(
                f"grid[{key!r}] must be a list of values, got {type(values).__name__}"
                + (f" (did you mean [{values!r}]?)" if isinstance(values, str) else "")
            )
        if not values:
            raise GridError(f"grid[{key!r}] is empty: give at least one value")
        axes.append((key, list(values)))
    total = 1
    for _, values in axes:
        total *= len(values)
    if total > MAX_POINTS:
        raise GridError(f"the grid has {total} points; at most {MAX_POINTS} per sweep")
    points = []
    for combo in itertools.product(*(values for _, values in axes)):
        params = {key: value for (key, _), value in zip(axes, combo, strict=True)}
        arguments = copy.deepcopy(dict(base or {}))
        for key, value in params.items():
            _set_path(arguments, key, value)
        points.append((params, arguments))
    return points


def label(params: Mapping[str, Any], width: int = 40) -> str:
    """A short human label for one grid point: ``seed=1 · prompt=a cat``."""
    parts = []
    for key, value in params.items():
        text = value if isinstance(value, str) else repr(value)
        if len(text) > width:
            text = text[: width - 1] + "…"
        parts.append(f"{key}={text}")
    return " · ".join(parts)
