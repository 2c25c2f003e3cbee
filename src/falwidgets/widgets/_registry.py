"""The spec -> widget registry: an ordered table of (predicate, factory), user entries first.

Modelled on magicgui's `TypeMap`: the built-in mapping is plain data (`BUILTINS`), lookups take the
first match, and `register_widget` returns a `Registration` (shared with `register_preview`): call
`.remove()`, use it as a context manager, or as a decorator; `REGISTRY.restoring()` undoes every
registration made inside a block. Optional fields (`X | null`, or optional without
a default) are wrapped in a toggle unless the chosen widget can represent "nothing" itself.
"""

from __future__ import annotations

import enum
import inspect
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import ipywidgets as w
from pydantic import BaseModel

from falwidgets._registration import Registration, UserEntries
from falwidgets.schema import FieldSpec
from falwidgets.widgets._base import BuildContext, FieldWidget
from falwidgets.widgets._composite import (
    ImageSizeField,
    ListField,
    ObjectField,
    OptionalField,
    UnionField,
)
from falwidgets.widgets._file import FileField, FileListField, is_file, is_file_list
from falwidgets.widgets._leaf import (
    BoolField,
    ColorField,
    ConstField,
    EnumField,
    HiddenField,
    JsonField,
    JsonStringField,
    NumberField,
    PromptField,
    SeedField,
    TextField,
    ValueWidgetField,
)

Predicate = Callable[[FieldSpec], bool]
Factory = Callable[..., Any]  # (spec[, ctx]) -> FieldWidget | ipywidgets.ValueWidget


@dataclass(frozen=True)
class Entry:
    """One row of the table. `recurse` names the child specs a container builds (for checks)."""

    predicate: Predicate
    factory: Factory
    name: str = ""
    recurse: Callable[[FieldSpec], tuple[FieldSpec, ...]] | None = None


def _kind(*kinds: str) -> Predicate:
    return lambda s: s.kind in kinds


def _is_image_size(s: FieldSpec) -> bool:
    return (
        s.kind == "union"
        and any(v.kind == "enum" for v in s.variants)
        and any(v.kind == "object" for v in s.variants)
        and (s.role == "image_size" or (s.ref or "").startswith("ImageSize"))
    )


def _is_color(s: FieldSpec) -> bool:
    if s.kind != "object":
        return False
    names = {p.name for p in s.properties}
    return s.role == "color" or ((s.ref or "").startswith("RGBColor") and names == {"r", "g", "b"})


def _is_prompt(s: FieldSpec) -> bool:
    return s.kind == "string" and (s.role == "prompt" or s.hints.get("field") == "textarea")


def _free_object(s: FieldSpec) -> bool:
    return s.kind == "object" and not s.properties


# The built-in table, first match wins. Data, not an if-chain: users prepend their own rows.
BUILTINS: tuple[Entry, ...] = (
    Entry(lambda s: s.hidden, HiddenField, "hidden"),
    Entry(_is_image_size, ImageSizeField, "image_size"),
    Entry(_is_color, ColorField, "color"),
    Entry(lambda s: s.role == "seed" and s.kind in ("integer", "number"), SeedField, "seed"),
    Entry(is_file, FileField, "file"),
    Entry(is_file_list, FileListField, "files"),
    Entry(lambda s: s.role == "json" and s.kind == "string", JsonStringField, "json_string"),
    Entry(_is_prompt, PromptField, "prompt"),
    Entry(_kind("const"), ConstField, "const"),
    Entry(lambda s: s.kind == "enum" and bool(s.enum), EnumField, "enum"),
    Entry(_kind("boolean"), BoolField, "boolean"),
    Entry(_kind("integer", "number"), NumberField, "number"),
    Entry(_kind("string"), TextField, "text"),
    Entry(_free_object, JsonField, "json_object"),
    Entry(_kind("object"), ObjectField, "object", recurse=lambda s: s.properties),
    Entry(_kind("array"), ListField, "list", recurse=lambda s: (s.items,) if s.items else ()),
    Entry(_kind("union"), UnionField, "union", recurse=lambda s: s.variants),
    Entry(lambda s: True, JsonField, "json"),
)

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


def _adapt(factory: Factory) -> Factory:
    """Accept factories taking `(spec)` or `(spec, ctx)` that return a FieldWidget or a widget."""
    try:
        params = inspect.signature(factory).parameters.values()
        positional = [p for p in params if p.kind in (p.POSITIONAL_ONLY, p.POSITIONAL_OR_KEYWORD)]
        takes_ctx = len(positional) >= 2 or any(p.kind == p.VAR_POSITIONAL for p in params)
    except (TypeError, ValueError):
        takes_ctx = True
    if isinstance(factory, type) and issubclass(factory, FieldWidget):
        return factory

    def build(spec: FieldSpec, ctx: BuildContext) -> FieldWidget:
        made = factory(spec, ctx) if takes_ctx else factory(spec)
        if isinstance(made, FieldWidget):
            return made
        if isinstance(made, w.ValueWidget):
            return ValueWidgetField(spec, ctx, made)
        raise TypeError(
            f"widget factory for {spec.name!r} returned {type(made).__name__}, "
            "expected a FieldWidget or an ipywidgets ValueWidget"
        )

    build.optional_ok = False  # type: ignore[attr-defined]
    build.raw = factory  # type: ignore[attr-defined]  # the face composes the user's own widget
    return build


def needs_toggle(spec: FieldSpec) -> bool:
    """`X | null`, or optional with no default: the user must be able to send nothing."""
    if spec.hidden or spec.kind == "const":
        return False
    return spec.nullable or (not spec.required and (spec.default is None or not spec.has_default))


class WidgetRegistry(UserEntries[Entry]):
    """User entries (newest first), then the built-in table."""

    def __init__(self, builtins: tuple[Entry, ...] = BUILTINS) -> None:
        super().__init__()
        self._builtins = builtins

    def entries(self) -> list[Entry]:
        return [*self._user, *self._builtins]

    def lookup(self, spec: FieldSpec) -> Entry:
        for entry in self._user:
            if entry.predicate(spec):
                return entry
        for entry in self._builtins:
            if entry.predicate(spec):
                return entry
        raise LookupError(spec.name)  # unreachable: the last built-in matches everything

    def build(self, spec: FieldSpec, ctx: BuildContext) -> FieldWidget:
        """The field widget for `spec`, wrapped in an optional toggle where needed."""
        entry = self.lookup(spec)
        if needs_toggle(spec) and not getattr(entry.factory, "optional_ok", False):
            inner = spec.evolve(nullable=False, required=True, default=_inner_default(spec))
            inner_entry = self.lookup(inner)
            return OptionalField(spec, ctx, lambda: inner_entry.factory(inner, ctx))
        return entry.factory(spec, ctx)

    def register(
        self, predicate_or_type: Any, factory: Factory | None = None
    ) -> Registration[Entry]:
        """Add a user entry ahead of the others; without `factory`, the handle is a decorator."""
        predicate = as_predicate(predicate_or_type)

        def bind(func: Factory) -> Entry:
            return Entry(predicate, _adapt(func), getattr(func, "__name__", ""))

        if factory is None:
            return self._pending(bind)
        return self._add(bind(factory))

    def copy(self) -> WidgetRegistry:
        clone = WidgetRegistry(self._builtins)
        clone._user = list(self._user)
        return clone

    def fallbacks(self, spec: FieldSpec, path: tuple[Any, ...] = ()) -> list[str]:
        """Paths of typed fields that would get a generic JSON editor (without building)."""
        entry = self.lookup(spec.evolve(nullable=False) if spec.nullable else spec)
        if entry.factory is JsonField and spec.kind not in ("any",) and not _free_object(spec):
            return [".".join(map(str, path)) or spec.name]
        out: list[str] = []
        if entry.recurse is not None:
            for i, sub in enumerate(entry.recurse(spec)):
                key = sub.name if spec.kind == "object" else ("[]" if spec.kind == "array" else i)
                out.extend(self.fallbacks(sub, (*path, key)))
        return out


def _inner_default(spec: FieldSpec) -> Any:
    from falwidgets.schema import MISSING

    return MISSING if spec.default is None else spec.default


REGISTRY = WidgetRegistry()


def register_widget(predicate_or_type: Any, factory: Factory | None = None) -> Registration[Entry]:
    """Map fields to a widget: `register_widget(int, make_slider)`, or `@register_widget(int)`.

    `predicate_or_type` is a Python type, an Enum, a Pydantic model, a kind/role/media/component
    name, or a predicate on `FieldSpec`. The factory takes `(spec)` or `(spec, ctx)` and returns a
    `FieldWidget` or any ipywidgets `ValueWidget`. User entries win over the built-in ones. The
    returned `Registration` removes the entry with `.remove()` or at the end of a `with` block.
    """
    return REGISTRY.register(predicate_or_type, factory)
