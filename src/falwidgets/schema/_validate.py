"""Per-field validation for forms (`field_errors`) and user models as specs (`spec_from_model`).

A form validates one field on every keystroke, so each spec gets its own cached `TypeAdapter` built
from the same annotations as the endpoint model: the messages match what the server would say.
"""

from __future__ import annotations

import threading
import weakref
from typing import Any

from pydantic import BaseModel, ConfigDict, TypeAdapter, ValidationError

from falwidgets.schema._convert import spec_from_json_schema
from falwidgets.schema._field import MISSING, FieldSpec
from falwidgets.schema._model import ModelBuilder

_adapters: dict[int, tuple[weakref.ref[FieldSpec], TypeAdapter[Any]]] = {}
_lock = threading.Lock()
_CONFIG = ConfigDict(regex_engine="python-re")


def _adapter(spec: FieldSpec) -> TypeAdapter[Any]:
    key = id(spec)
    with _lock:
        hit = _adapters.get(key)
        if hit is not None and hit[0]() is spec:
            return hit[1]
    builder = ModelBuilder()
    allow_none = spec.default is None or (not spec.required and spec.default is MISSING)
    annotation = builder.annotation(spec, allow_none=allow_none)
    try:
        adapter: TypeAdapter[Any] = TypeAdapter(annotation, config=_CONFIG)
    except Exception:  # config is refused for BaseModel types: they carry their own
        adapter = TypeAdapter(annotation)
    with _lock:
        _adapters[key] = (weakref.ref(spec, lambda _ref, k=key: _adapters.pop(k, None)), adapter)
    return adapter


def field_errors(spec: FieldSpec, value: Any = MISSING) -> list[dict[str, Any]]:
    """Errors of one field's value, pydantic-shaped: `[{"loc": (name, ...), "msg", "type"}]`.

    `MISSING` (no value entered) is an error only for a required field without a default.
    """
    if value is MISSING:
        if spec.required and not spec.has_default:
            return [{"loc": (spec.name,), "msg": "Field required", "type": "missing"}]
        return []
    try:
        _adapter(spec).validate_python(value)
    except ValidationError as exc:
        prefix = (spec.name,) if spec.name else ()
        return [
            {"loc": (*prefix, *err["loc"]), "msg": err["msg"], "type": err["type"]}
            for err in exc.errors(include_url=False)
        ]
    return []


def spec_from_model(model: type[BaseModel]) -> FieldSpec:
    """A user's own Pydantic model as a `FieldSpec`, through its JSON Schema like fal documents."""
    if not (isinstance(model, type) and issubclass(model, BaseModel)):
        raise TypeError(f"spec_from_model() needs a pydantic BaseModel class, not {model!r}")
    schema = model.model_json_schema(mode="validation")
    return spec_from_json_schema(schema, schema.get("$defs"))
