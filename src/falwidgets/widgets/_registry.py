"""The user's field -> widget table: an ordered list of (predicate, factory), newest first.

Modelled on magicgui's `TypeMap`. The built-in controls are drawn in the browser
(`_spec_json.CONTROLS`, js/src/form/controls); this table holds only what users add with
`register_widget`, whose widgets the anywidget form composes in place of its own control.
`register_widget` returns a `Registration` (shared with `register_preview`): call `.remove()`, use
it as a context manager, or as a decorator; `REGISTRY.restoring()` undoes every registration made
inside a block.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from pydantic import BaseModel

from falwidgets._registration import Registration, UserEntries
from falwidgets.schema import FieldSpec

Predicate = Callable[[FieldSpec], bool]
Factory = Callable[..., Any]  # (spec) or (spec, None) -> a widget with a `value` trait


@dataclass(frozen=True)
class Entry:
    """One row of the table."""

    predicate: Predicate
    factory: Factory
    name: str = ""


_TYPE_KINDS: dict[type, str] = {
    bool: "boolean",
    int: "integer",
    float: "number",
    str: "string",
    dict: "object",
    list: "array",
    tuple: "array",
}


def _model_predicate(model: type[BaseModel]) -> Predicate:
    """A model's fields: an object spec named like the model (its component or title) AND with
    the model's field names, so two different models that share a class name never collide."""
    name = model.__name__
    fields = {f.alias or n for n, f in model.model_fields.items()}

    def matches(s: FieldSpec) -> bool:
        named = s.ref == name or (s.kind == "object" and s.title == name)
        return named and {p.name for p in s.properties} == fields

    return matches


def as_predicate(predicate_or_type: Any) -> Predicate:
    """Turn what users pass to `register_widget` into a predicate on `FieldSpec`.

    A Python type matches its JSON kind (`int` -> integer, ...); an `Enum` its choices; a Pydantic
    model the object fields with its name and its field names; a string a kind, role, media or
    component name; a callable is the predicate itself.
    """
    target = predicate_or_type
    if isinstance(target, type):
        if issubclass(target, enum.Enum):
            values = {m.value for m in target}
            return lambda s: s.kind == "enum" and set(s.enum) == values
        if target in _TYPE_KINDS:
            kind = _TYPE_KINDS[target]
            return lambda s: s.kind == kind
        if issubclass(target, BaseModel):
            return _model_predicate(target)
        raise TypeError(
            f"register_widget needs a JSON type (int, str, ...), an Enum, a Pydantic model, a "
            f"name or a predicate; the class {target.__name__!r} says nothing about a field (pass "
            f"its component name as a string to match by name)"
        )
    if isinstance(target, str):
        return lambda s: target in (s.kind, s.role, s.media, s.ref)
    if callable(target):
        return target
    raise TypeError(f"register_widget needs a type, a name or a predicate, not {target!r}")


class WidgetRegistry(UserEntries[Entry]):
    """The user's entries, newest first (the built-in controls live in `_spec_json`)."""

    def entries(self) -> list[Entry]:
        return list(self._user)

    def lookup(self, spec: FieldSpec) -> Entry | None:
        """The newest entry matching `spec`, or None (the form draws its own control)."""
        return next((entry for entry in self._user if entry.predicate(spec)), None)

    def register(
        self, predicate_or_type: Any, factory: Factory | None = None
    ) -> Registration[Entry]:
        """Add a user entry ahead of the others; without `factory`, the handle is a decorator."""
        predicate = as_predicate(predicate_or_type)

        def bind(func: Factory) -> Entry:
            if not callable(func):
                raise TypeError(f"register_widget needs a callable factory, not {func!r}")
            return Entry(predicate, func, getattr(func, "__name__", ""))

        if factory is None:
            return self._pending(bind)
        return self._add(bind(factory))

    def copy(self) -> WidgetRegistry:
        clone = WidgetRegistry()
        clone._user = list(self._user)
        return clone


REGISTRY = WidgetRegistry()


def register_widget(predicate_or_type: Any, factory: Factory | None = None) -> Registration[Entry]:
    """Map fields to your own widget: `register_widget(int, make_slider)`, or
    `@register_widget(int)`.

    `predicate_or_type` is a Python type, an Enum, a Pydantic model, a kind/role/media/component
    name, or a predicate on `FieldSpec`. The factory takes `(spec)` (or `(spec, ctx)`, ctx being
    None) and returns any widget with a `value` trait (an ipywidgets `ValueWidget` or an
    anywidget), which the form composes in place of its own control. User entries win over the
    built-in controls. The returned `Registration` removes the entry with `.remove()` or at the end
    of a `with` block.
    """
    return REGISTRY.register(predicate_or_type, factory)
