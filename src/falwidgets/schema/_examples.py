"""Example and default inputs that actually validate.

fal's `examples` are written for people: one URL where a list is declared, a URL string for a File
object, a float example on an integer field. Each field therefore gets a list of candidates (its
examples adapted to the declared shape, its default, one assembled from its children, and for
required fields a minimal valid value); the first candidate the model accepts wins.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from falwidgets.schema._field import FieldSpec


def fit(spec: FieldSpec, value: Any) -> Any:
    """Adapt an example to the declared shape where the intent is unambiguous."""
    if spec.kind == "array" and value is not None and not isinstance(value, list):
        return [fit(spec.items, value) if spec.items else value]
    if (
        spec.kind == "object"
        and isinstance(value, str)
        and any(p.name == "url" for p in spec.properties)
    ):
        return {"url": value}
    if spec.kind == "string" and isinstance(value, Mapping) and isinstance(value.get("url"), str):
        return value["url"]
    return value


def _number(spec: FieldSpec, integer: bool) -> float | int:
    low, high = spec.minimum, spec.maximum
    xlow, xhigh = spec.exclusive_minimum, spec.exclusive_maximum
    step = spec.multiple_of
    if low is not None:
        value: float = low
    elif xlow is not None:
        value = xlow + (step or 1)
    elif high is not None or xhigh is not None:
        value = min(0, high if high is not None else xhigh - (step or 1))  # type: ignore[operator]
    else:
        value = 0
    if step:
        value = math.ceil(value / step - 1e-9) * step
        if integer or float(step).is_integer():
            value = round(value)
    if integer:
        value = math.ceil(value)
        if high is not None and value > high:
            value = math.floor(high)
        return int(value)
    return float(value)


def minimal(spec: FieldSpec) -> Any:
    """The simplest value that satisfies the spec's type and bounds (for required fields only)."""
    if spec.nullable:
        return None
    kind = spec.kind
    if kind == "enum":
        return spec.enum[0] if spec.enum else None
    if kind == "const":
        return spec.const
    if kind == "boolean":
        return False
    if kind in ("integer", "number"):
        return _number(spec, kind == "integer")
    if kind == "string":
        return "a" * (spec.min_length or 0)
    if kind == "array":
        count = spec.min_items or 0
        return [minimal(spec.items) if spec.items else None for _ in range(count)]
    if kind == "object":
        return {p.name: minimal(p) for p in spec.properties if p.required and not p.has_default}
    if kind == "union" and spec.variants:
        return minimal(spec.variants[0])
    return None


def candidates(spec: FieldSpec) -> list[Any]:
    """Values to try for `spec`, best first (may be empty for an optional field)."""
    out: list[Any] = [fit(spec, e) for e in spec.examples]
    if spec.has_default:
        out.append(spec.default)
    if spec.kind == "object" and spec.properties and (spec.required or not out):
        assembled = assemble(spec)
        if assembled or spec.required:
            out.append(assembled)
    if spec.required:
        out.append(minimal(spec))
    return out


def assemble(spec: FieldSpec) -> dict[str, Any]:
    """An object value from each child's first candidate (children without one are left out)."""
    built: dict[str, Any] = {}
    for prop in spec.properties:
        options = candidates(prop)
        if options:
            built[prop.name] = options[0]
    return built


def first_valid(
    spec: FieldSpec, validate: Any, *, use_examples: bool = True, rounds: int = 6
) -> dict[str, Any]:
    """Each top-level field's first candidate that `validate(value) -> failing names` accepts."""
    options: dict[str, list[Any]] = {}
    for prop in spec.properties:
        choices = candidates(prop) if use_examples else [prop.default] if prop.has_default else []
        if choices:
            options[prop.name] = choices
    chosen = {name: 0 for name in options}
    for _ in range(rounds):
        value = {name: options[name][i] for name, i in chosen.items()}
        failing = validate(value)
        if not failing:
            return value
        for name in failing:
            if name in chosen:
                chosen[name] += 1
                if chosen[name] >= len(options[name]):
                    del chosen[name]
    return {name: options[name][i] for name, i in chosen.items()}
