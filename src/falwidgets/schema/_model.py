"""`FieldSpec` tree -> Pydantic v2 model: the validator shared by forms, the server and the client.

Constraints go into `Field(...)` metadata so that pydantic's own error messages and `loc` paths come
out exactly as fal's (which also uses pydantic) would produce them. Fields that are optional without
a default accept `null`, as fal's own models do (their `X | None = None` was published as plain `X`
in older documents).
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Mapping
from typing import Annotated, Any, Literal, Optional, Union

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model

from falwidgets.schema._field import MISSING, FieldSpec

_RESERVED = frozenset(dir(BaseModel))
_IDENT = re.compile(r"[^0-9a-zA-Z_]+")
_SCALARS: dict[str, Any] = {"string": str, "integer": int, "number": float, "boolean": bool}


def _unique(values: list[Any]) -> list[Any]:
    seen: list[Any] = []
    for value in values:
        if value in seen:
            raise ValueError("items must be unique")
        seen.append(value)
    return values


def _class_name(spec: FieldSpec, fallback: str) -> str:
    base = spec.ref or spec.title or spec.name or fallback
    base = _IDENT.sub("_", base.rsplit("__", 1)[-1]).strip("_") or fallback
    return base if base[0].isalpha() else f"M_{base}"


def python_name(name: str, taken: set[str]) -> str:
    """A safe attribute name for a property (the JSON name becomes the alias when they differ)."""
    ident = _IDENT.sub("_", name)
    if not ident or ident[0].isdigit() or ident.startswith("_"):
        ident = f"f_{ident.lstrip('_')}"
    if keyword.iskeyword(ident) or ident in _RESERVED or ident.startswith("model_"):
        ident = f"{ident}_"
    while ident in taken:
        ident += "_"
    return ident


def _constraints(spec: FieldSpec) -> dict[str, Any]:
    kw: dict[str, Any] = {}
    if spec.kind in ("integer", "number"):
        for key, value in (
            ("ge", spec.minimum),
            ("le", spec.maximum),
            ("gt", spec.exclusive_minimum),
            ("lt", spec.exclusive_maximum),
            ("multiple_of", spec.multiple_of),
        ):
            if value is not None:
                kw[key] = value
    elif spec.kind in ("string", "enum") and spec.kind == "string":
        if spec.min_length is not None:
            kw["min_length"] = spec.min_length
        if spec.max_length is not None:
            kw["max_length"] = spec.max_length
        if spec.pattern is not None:
            kw["pattern"] = spec.pattern
    elif spec.kind == "array":
        if spec.min_items is not None:
            kw["min_length"] = spec.min_items
        if spec.max_items is not None:
            kw["max_length"] = spec.max_items
    return kw


class ModelBuilder:
    """Builds annotations for one spec tree, reusing one model class per referenced component."""

    def __init__(self) -> None:
        self._models: dict[tuple[Any, ...], type[BaseModel]] = {}

    def annotation(self, spec: FieldSpec, *, allow_none: bool = False) -> Any:
        """The type of a value of `spec`, constraints included (without the field's default)."""
        base = self._base(spec)
        kw = _constraints(spec)
        if kw:
            base = Annotated[base, Field(**kw)]
        if spec.kind == "array" and spec.unique_items:
            base = Annotated[base, AfterValidator(_unique)]
        if spec.nullable or allow_none:
            base = Optional[base]  # noqa: UP045 - runtime construction needs the typing form
        return base

    def _base(self, spec: FieldSpec) -> Any:
        kind = spec.kind
        if kind in _SCALARS:
            return _SCALARS[kind]
        if kind == "enum":
            return Literal[spec.enum] if spec.enum else Any
        if kind == "const":
            return Literal[spec.const] if spec.const is not None else type(None)
        if kind == "array":
            return list[self.annotation(spec.items)] if spec.items else list[Any]  # type: ignore[misc]
        if kind == "object":
            if not spec.properties:
                return dict[str, Any]
            return self.model(spec)
        if kind == "union":
            members = tuple(self.annotation(v) for v in spec.variants)
            return Union[members] if len(members) > 1 else members[0]  # noqa: UP007
        return Any

    def model(self, spec: FieldSpec, name: str | None = None) -> type[BaseModel]:
        """The model class of an object spec (cached per component within this builder)."""
        key = (spec.ref, spec.title, tuple((p.name, p.kind, p.required) for p in spec.properties))
        if spec.ref is None:
            key = (id(spec),)
        cached = self._models.get(key)
        if cached is not None:
            return cached
        fields: dict[str, Any] = {}
        taken: set[str] = set()
        for prop in spec.properties:
            attr = python_name(prop.name, taken)
            taken.add(attr)
            fields[attr] = self.field(prop, alias=None if attr == prop.name else prop.name)
        config = ConfigDict(
            extra="allow" if spec.additional_properties else "ignore",
            protected_namespaces=(),
            populate_by_name=True,
            serialize_by_alias=True,
            regex_engine="python-re",
            title=spec.title or None,
        )
        cls = create_model(  # type: ignore[call-overload]
            name or _class_name(spec, "Model"),
            __config__=config,
            __doc__=spec.description,
            **fields,
        )
        self._models[key] = cls
        return cls

    def field(self, spec: FieldSpec, alias: str | None = None) -> tuple[Any, Any]:
        """`(annotation, FieldInfo)` for one property of a model."""
        optional_none = not spec.required and spec.default is MISSING
        annotation = self.annotation(spec, allow_none=optional_none or spec.default is None)
        info: dict[str, Any] = {}
        if spec.title:
            info["title"] = spec.title
        if spec.description:
            info["description"] = spec.description
        if spec.examples:
            info["examples"] = list(spec.examples)
        if alias is not None:
            info["alias"] = alias
        if spec.deprecated:
            info["deprecated"] = True
        if spec.default is not MISSING:
            default = spec.default
            if any(w.endswith("kept as is") for w in spec.warnings):
                # a default of the wrong type (real fal data): accept exactly that value too, so
                # an omitted field still round-trips; unhashable ones cannot be Literals
                try:
                    annotation = Union[annotation, Literal[default]]  # noqa: UP007
                except TypeError:
                    annotation, default = Optional[annotation], None  # noqa: UP045
            info["validate_default"] = True
            if isinstance(default, (dict, list)):
                info["default_factory"] = _copier(default)
            else:
                info["default"] = default
        elif not spec.required:
            info["default"] = None
        return annotation, Field(**info)


def _copier(value: Any) -> Any:
    import copy

    return lambda: copy.deepcopy(value)


def model_from_spec(spec: FieldSpec, name: str | None = None) -> type[BaseModel]:
    """A Pydantic model for an object spec (a non-object spec becomes a one-field `value` model)."""
    builder = ModelBuilder()
    if spec.kind == "object" and spec.properties:
        return builder.model(spec, name)
    wrapped = spec.evolve(name="value", required=True)
    holder = FieldSpec(name=spec.name or "Value", kind="object", properties=(wrapped,))
    return builder.model(holder, name)


def json_ready(value: Any) -> Any:
    """Plain JSON data from a validated model or value (by alias, without unset optional fields)."""
    if isinstance(value, BaseModel):
        return value.model_dump(mode="json", by_alias=True, exclude_unset=True)
    if isinstance(value, Mapping):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    return value
