"""JSON Schema node -> `FieldSpec` tree: the one converter every input path goes through.

Real fal documents are messy (dangling refs, untyped nodes, defaults of the wrong type), so nothing
here raises on schema content: what is not understood becomes `kind="any"` with a warning naming it.
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from typing import Any

from falwidgets.schema._field import MISSING, FieldSpec
from falwidgets.schema._refs import Node, Resolver
from falwidgets.schema._roles import detect, hints_of

_PRIMITIVE_KINDS = {
    "string": "string",
    "integer": "integer",
    "number": "number",
    "boolean": "boolean",
    "object": "object",
    "array": "array",
}


def _num(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    return value


def _int(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) and value >= 0 else None


def _is_null(node: Node) -> bool:
    return node.get("type") == "null" or node.get("enum") == [None] or node.get("const", 0) is None


def coerce_default(spec: FieldSpec, value: Any) -> tuple[Any, str | None]:
    """Make `value` fit `spec` when that is safe and obvious (`"129"` for a string field given 129).

    Returns the value to use and a warning when it was changed or still does not fit, so the form
    can show the default and the warning instead of failing on load.
    """
    if value is MISSING or (value is None and spec.nullable):
        return value, None
    kind = spec.kind
    fixed: Any = MISSING
    if kind == "string":
        if isinstance(value, str):
            return value, None
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            fixed = str(value)
    elif kind == "integer":
        if isinstance(value, int) and not isinstance(value, bool):
            return value, None
        if (isinstance(value, float) and value.is_integer()) or (
            isinstance(value, str) and re.fullmatch(r"\s*-?\d+\s*", value)
        ):
            fixed = int(value)
    elif kind == "number":
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            return value, None
        if isinstance(value, str):
            try:
                number = float(value)
            except ValueError:
                number = math.nan
            if math.isfinite(number):
                fixed = number
    elif kind == "boolean":
        if isinstance(value, bool):
            return value, None
        if isinstance(value, str) and value.lower() in ("true", "false"):
            fixed = value.lower() == "true"
    elif kind == "enum":
        if value in spec.enum and not isinstance(value, bool):
            return value, None
        for choice in spec.enum:
            if str(choice) == str(value):
                fixed = choice
                break
    elif kind == "const":
        return (
            value,
            None if value == spec.const else f"default {value!r} is not the const; kept as is",
        )
    elif kind == "array":
        if isinstance(value, list):
            return value, None
    elif kind == "object":
        if isinstance(value, Mapping):
            return value, None
    else:
        return value, None
    if fixed is not MISSING:
        return fixed, f"default {value!r} coerced to {kind} {fixed!r}"
    if value is None:
        return value, "default null on a field that is not nullable; kept as is"
    return value, f"default {value!r} does not match kind {kind!r}; kept as is"


class Converter:
    """Converts the nodes of one document; `$ref` cycles become `any` instead of recursing."""

    def __init__(self, resolver: Resolver) -> None:
        self.resolver = resolver
        self._stack: list[str] = []

    def convert(self, node: Any, name: str = "", required: bool = False) -> FieldSpec:
        if node is True or node == {}:
            warning = () if node is True else ("untyped schema node",)
            return FieldSpec(name=name, kind="any", required=required, warnings=warning)
        if not isinstance(node, Mapping):
            return FieldSpec(
                name=name,
                kind="any",
                required=required,
                warnings=(f"schema node is not an object: {node!r:.60}",),
            )
        resolved, ref, warning = self.resolver.resolve(node)
        if ref is not None and ref in self._stack and warning is None:
            return self._finish(
                resolved, name, required, ref, [f"recursive $ref {ref!r} not expanded"], kind="any"
            )
        if ref is not None:
            self._stack.append(ref)
        try:
            return self._convert(resolved, name, required, ref, [warning] if warning else [])
        finally:
            if ref is not None:
                self._stack.pop()

    # -- composition -------------------------------------------------------------------------
    def _convert(
        self, node: Node, name: str, required: bool, ref: str | None, warnings: list[str]
    ) -> FieldSpec:
        if warnings and ref is not None and "type" not in node:  # dangling ref: siblings only
            return self._finish(node, name, required, ref, warnings, kind="any")
        members = node.get("anyOf", node.get("oneOf"))
        if isinstance(members, list) and members:
            return self._union(node, members, name, required, ref, warnings)
        all_of = node.get("allOf")
        if isinstance(all_of, list) and all_of:
            return self._all_of(node, all_of, name, required, ref, warnings)
        t = node.get("type")
        if isinstance(t, list):
            types = [x for x in t if x != "null"]
            rest = {k: v for k, v in node.items() if k != "type"}
            if "null" in t:
                rest["nullable"] = True
            if len(types) == 1:
                return self._convert({**rest, "type": types[0]}, name, required, ref, warnings)
            members = [{"type": x} for x in types]
            return self._union(rest, members, name, required, ref, warnings)
        return self._finish(node, name, required, ref, warnings)

    def _union(
        self,
        node: Node,
        members: list[Any],
        name: str,
        required: bool,
        ref: str | None,
        warnings: list[str],
    ) -> FieldSpec:
        outer = {k: v for k, v in node.items() if k not in ("anyOf", "oneOf")}
        branches: list[Any] = []
        nullable = outer.get("nullable") is True
        for member in members:
            if isinstance(member, Mapping):
                resolved, _, _ = self.resolver.resolve(member)
                if _is_null(resolved):
                    nullable = True
                    continue
            branches.append(member)
        if not branches:
            return self._finish(outer, name, required, ref, warnings, kind="any", nullable=True)
        if len(branches) == 1:
            single = branches[0]
            if not isinstance(single, Mapping):
                single = {}
            # the outer node's keys (annotations, and e.g. an `enum` beside `anyOf`) apply too
            spec = self.convert({**single, **outer}, name, required)
            return spec.evolve(
                nullable=spec.nullable or nullable, warnings=(*warnings, *spec.warnings)
            )
        variants = tuple(self.convert(m, name) for m in branches)
        return self._finish(
            outer, name, required, ref, warnings, kind="union", nullable=nullable, variants=variants
        )

    def _all_of(
        self,
        node: Node,
        members: list[Any],
        name: str,
        required: bool,
        ref: str | None,
        warnings: list[str],
    ) -> FieldSpec:
        """Merge `allOf` members: properties and `required` are unioned, other keys overlay."""
        merged: dict[str, Any] = {}
        properties: dict[str, Any] = {}
        required_names: list[str] = []
        order: list[str] = []
        for member in members:
            if not isinstance(member, Mapping):
                continue
            resolved, _, warning = self.resolver.resolve(member)
            if warning:
                warnings.append(warning)
            if isinstance(resolved.get("allOf"), list):
                resolved = self._flatten_all_of(resolved)
            properties.update(resolved.get("properties") or {})
            required_names += [r for r in resolved.get("required") or () if r not in required_names]
            order += [o for o in resolved.get("x-fal-order-properties") or () if o not in order]
            merged.update(resolved)
        merged.update({k: v for k, v in node.items() if k != "allOf"})
        if properties:
            merged["properties"] = {**properties, **(node.get("properties") or {})}
            merged["required"] = [*required_names, *(node.get("required") or ())]
            merged.setdefault("type", "object")
            if order:
                merged["x-fal-order-properties"] = order
        return self._convert(merged, name, required, ref, warnings)

    def _flatten_all_of(self, node: Node) -> Node:
        out: dict[str, Any] = {}
        for member in node.get("allOf") or ():
            if isinstance(member, Mapping):
                out.update(self.resolver.resolve(member)[0])
        out.update({k: v for k, v in node.items() if k != "allOf"})
        return out

    # -- leaves and objects ------------------------------------------------------------------
    def _finish(
        self,
        node: Node,
        name: str,
        required: bool,
        ref: str | None,
        warnings: list[str],
        *,
        kind: str | None = None,
        nullable: bool = False,
        variants: tuple[FieldSpec, ...] = (),
    ) -> FieldSpec:
        kw: dict[str, Any] = {}
        nullable = nullable or node.get("nullable") is True
        if kind is None:
            kind = self._kind(node, kw, warnings)
            if kw.pop("_nullable", False):
                nullable = True
        t = node.get("type")
        if kind == "string" or (kind == "enum" and t == "string"):
            kw["min_length"] = _int(node.get("minLength"))
            kw["max_length"] = _int(node.get("maxLength"))
            pattern = node.get("pattern")
            if isinstance(pattern, str):
                try:
                    re.compile(pattern)
                    kw["pattern"] = pattern
                except re.error as exc:
                    warnings.append(f"pattern {pattern!r} ignored: {exc}")
            if isinstance(node.get("format"), str):
                kw["format"] = node["format"]
        elif kind in ("integer", "number"):
            self._bounds(node, kw)
        elif kind == "array":
            kw["min_items"] = _int(node.get("minItems"))
            kw["max_items"] = _int(node.get("maxItems"))
            kw["unique_items"] = node.get("uniqueItems") is True
            kw["items"] = self._items(node, name)
        elif kind == "object":
            kw["properties"] = self._properties(node)
            extra = node.get("additionalProperties")
            kw["additional_properties"] = (
                bool(extra) if extra is not None else not node.get("properties")
            )
        title = node.get("title")
        description = node.get("description")
        examples = node.get("examples")
        if isinstance(examples, Mapping):  # OpenAPI's named-examples form
            examples = [e.get("value") for e in examples.values() if isinstance(e, Mapping)]
        if not isinstance(examples, list):
            examples = [node["example"]] if "example" in node else []
        hints = hints_of(node)
        ui_field = hints.get("field") if isinstance(hints.get("field"), str) else None
        default = node.get("default", MISSING)
        if default is None and kind not in ("any", "const"):
            nullable = True  # `default: null` means the field may be absent/null
        spec = FieldSpec(
            name=name,
            kind=kind,  # type: ignore[arg-type]
            title=title if isinstance(title, str) else "",
            description=description.strip() if isinstance(description, str) else "",
            required=required,
            nullable=nullable,
            examples=tuple(examples),
            variants=variants,
            important=hints.get("important") is True,
            hidden=hints.get("hidden") is True,
            deprecated=node.get("deprecated") is True,
            ref=ref,
            hints=hints,
            schema=node,
            **kw,
        )
        if default is not MISSING:
            default, warning = coerce_default(spec, default)
            if warning:
                warnings.append(warning)
        role, media = detect(spec, ui_field)
        return spec.evolve(default=default, role=role, media=media, warnings=tuple(warnings))

    def _kind(self, node: Node, kw: dict[str, Any], warnings: list[str]) -> str:
        if "const" in node:
            kw["const"] = node["const"]
            return "const"
        enum = node.get("enum")
        if isinstance(enum, list) and enum:
            if None in enum:
                kw["_nullable"] = True
                enum = [e for e in enum if e is not None]
            if len(enum) == 1 and node.get("type") is None:
                pass  # a one-value enum is still a choice (29 corpus fields); keep it an enum
            kw["enum"] = tuple(enum)
            return "enum"
        t = node.get("type")
        if isinstance(t, str) and t in _PRIMITIVE_KINDS:
            return _PRIMITIVE_KINDS[t]
        if t == "null":
            kw["const"] = None
            return "const"
        if "properties" in node:
            return "object"
        if "items" in node or "prefixItems" in node:
            return "array"
        warnings.append(f"untyped schema node (type {t!r})" if t else "untyped schema node")
        return "any"

    @staticmethod
    def _bounds(node: Node, kw: dict[str, Any]) -> None:
        low, high = _num(node.get("minimum")), _num(node.get("maximum"))
        xlow, xhigh = node.get("exclusiveMinimum"), node.get("exclusiveMaximum")
        if xlow is True:  # OpenAPI 3.0 boolean form
            low, xlow = None, low
        if xhigh is True:
            high, xhigh = None, high
        kw["minimum"], kw["maximum"] = low, high
        kw["exclusive_minimum"], kw["exclusive_maximum"] = _num(xlow), _num(xhigh)
        step = _num(node.get("multipleOf"))
        kw["multiple_of"] = step if step and step > 0 else None

    def _items(self, node: Node, name: str) -> FieldSpec:
        items = node.get("items")
        prefix = node.get("prefixItems")
        if isinstance(prefix, list) and prefix and not isinstance(items, Mapping):
            spec = self.convert({"anyOf": prefix} if len(prefix) > 1 else prefix[0], name)
            return spec.evolve(warnings=(*spec.warnings, "tuple (prefixItems) read as a list"))
        if items is None:
            return FieldSpec(name=name, kind="any")
        return self.convert(items, name)

    def _properties(self, node: Node) -> tuple[FieldSpec, ...]:
        props = node.get("properties")
        if not isinstance(props, Mapping):
            return ()
        required = node.get("required")
        required_set = set(required) if isinstance(required, Sequence) else set()
        order = node.get("x-fal-order-properties")
        names: list[str] = []
        if isinstance(order, list):
            names = [n for n in order if isinstance(n, str) and n in props]
            names = list(dict.fromkeys(names))
        names += [n for n in props if n not in names]
        return tuple(self.convert(props[n], n, n in required_set) for n in names)


def spec_from_json_schema(
    schema: Mapping[str, Any],
    components: Mapping[str, Any] | None = None,
    name: str = "",
    *,
    root: Mapping[str, Any] | None = None,
) -> FieldSpec:
    """Convert one JSON Schema node (usually an object) into a `FieldSpec` tree.

    `$ref`s are looked up as JSON pointers in `root` (default: the schema itself), then by their
    last segment in `components` (e.g. an OpenAPI document's `components.schemas`, or `$defs`).
    """
    if components is None and isinstance(schema.get("$defs"), Mapping):
        components = schema["$defs"]
    resolver = Resolver(root if root is not None else schema, components)
    return Converter(resolver).convert(schema, name, required=True)
