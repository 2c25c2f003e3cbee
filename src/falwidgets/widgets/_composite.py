"""Widgets that hold other widgets: groups, lists, unions, optional toggles, ImageSize."""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Any

import ipywidgets as w

from falwidgets.schema import MISSING, FieldSpec
from falwidgets.widgets._base import BuildContext, FieldWidget, _message, _short
from falwidgets.widgets._validate import local_errors


def initial_value(spec: FieldSpec) -> Any:
    """The JSON value a freshly built widget for `spec` returns (without building it).

    A default that breaks the field's own type (fal-ai/flowedit: `integer | null` defaulting to
    1.5) is not sent: the widget cannot show it, and the server applies its default anyway.
    """
    if spec.default is not MISSING:
        if spec.default is None or local_errors(spec, spec.default):
            return MISSING
        return spec.default
    if spec.kind == "const" and spec.required:
        return spec.const
    if spec.kind == "object" and spec.required and not spec.nullable and spec.properties:
        value = {p.name: initial_value(p) for p in spec.properties}
        return {k: v for k, v in value.items() if v is not MISSING}
    return MISSING


class ObjectField(FieldWidget):
    """A nested object as a titled group of its fields."""

    def build(self) -> w.Box:
        self.fields: dict[str, FieldWidget] = {}
        rows: list[w.Widget] = [self._title()]
        for prop in self.spec.properties:
            field = self.ctx.build(prop, prop.name)
            field.observe(self._child_changed)
            self.fields[prop.name] = field
            rows.append(field.widget)
        box = self.row(*rows, layout="group")
        box.add_class("fw-group")
        return box

    def _title(self) -> w.HTML:
        title = html.escape(self.label())
        tip = html.escape(self.tooltip() or "", quote=True)
        return w.HTML(f'<b title="{tip}">{title}</b>', layout=self.ctx.layout("small"))

    def _child_changed(self, _: FieldWidget) -> None:
        self.changed()

    def validate(self) -> list[dict[str, Any]]:
        if self._error is not None:
            self.set_error(None)  # a mark on the group itself (422, bad value) is now stale
        return []  # children mark themselves

    def get(self) -> Any:
        out = {}
        for name, field in self.fields.items():
            value = field.get()
            if value is not MISSING:
                out[name] = value
        return out

    def set(self, value: Any) -> None:
        if value is MISSING or value is None:
            value = {}
        if not isinstance(value, dict):
            raise TypeError("Input should be a valid dictionary")
        for name, field in self.fields.items():
            field.assign(value[name] if name in value else field.initial())

    def initial(self) -> Any:
        value = initial_value(self.spec.evolve(required=True))
        return {} if value is MISSING else value

    def children(self) -> dict[str | int, FieldWidget]:
        return dict(self.fields)


class ListField(FieldWidget):
    """A list editor: one row per item with move up/down and remove, plus an add button."""

    optional_ok = True

    def build(self) -> w.Box:
        self.items: list[FieldWidget] = []
        self._rows = w.VBox(layout=self.ctx.layout("column"))
        self._add = w.Button(description="+ add", layout=self.ctx.layout("small"))
        self._add.add_class("fw-list-add")
        self._add.on_click(lambda _: self._guard(self.append))
        title = w.HTML(
            f'<span title="{html.escape(self.tooltip() or "", quote=True)}">'
            f"{html.escape(self.label())}</span>",
            layout=w.Layout(width="160px"),
        )
        self._empty_is_value = False
        self.show_initial()
        box = self.row(title, self._rows, self._add)
        box.add_class("fw-list")
        return box

    def _guard(self, action: Callable[[], Any]) -> None:
        try:
            action()
        except Exception as exc:
            self.set_error(_message(exc))

    def append(self, value: Any = MISSING) -> FieldWidget:
        """Add an item (its default, or `value`) at the end."""
        field = self.ctx.build(self.item_spec(len(self.items)), len(self.items))
        if value is not MISSING:
            field.assign(value)
        field.observe(lambda _: self.changed())
        self.items.append(field)
        self._render()
        self.changed()
        return field

    def item_spec(self, index: int) -> FieldSpec:
        """The spec an item row is built from (subclasses adjust it)."""
        return (self.spec.items or FieldSpec(name="item", kind="any")).evolve(
            name=str(index), required=True
        )

    def remove(self, index: int) -> None:
        del self.items[index]
        self._reindex()
        self.changed()

    def move(self, index: int, delta: int) -> None:
        target = index + delta
        if 0 <= target < len(self.items):
            self.items[index], self.items[target] = self.items[target], self.items[index]
            self._reindex()
            self.changed()

    def _reindex(self) -> None:
        for i, field in enumerate(self.items):
            for sub in field.iter_fields():
                sub.path = (*self.path, i, *sub.path[len(self.path) + 1 :])
        self._render()

    def _render(self) -> None:
        rows = []
        for i, field in enumerate(self.items):
            buttons = []
            for text, tip, act in (
                ("↑", "move up", lambda _, i=i: self._guard(lambda: self.move(i, -1))),
                ("↓", "move down", lambda _, i=i: self._guard(lambda: self.move(i, 1))),
                ("✕", "remove", lambda _, i=i: self._guard(lambda: self.remove(i))),
            ):
                b = w.Button(description=text, tooltip=tip, layout=self.ctx.layout("small"))
                b.on_click(act)
                buttons.append(b)
            rows.append(w.Box([field.widget, *buttons], layout=self.ctx.layout("item")))
        self._rows.children = rows

    def get(self) -> Any:
        values = [f.get() for f in self.items]
        if not values and not self._empty_is_value and self.spec.default != []:
            return MISSING
        return [None if v is MISSING else v for v in values]

    def set(self, value: Any) -> None:
        unset = value is MISSING or value is None
        if unset:
            value = []
        if not isinstance(value, list):
            raise TypeError("Input should be a valid list")
        self._empty_is_value = value == [] and not unset
        self.items = []
        with self.muted():
            for item in value:
                self.append(item)
        self._render()

    def validate(self) -> list[dict[str, Any]]:
        value = self.get()
        errors = [] if value is MISSING else local_errors(self.spec.evolve(items=None), value)
        self.set_error(errors[0]["msg"] if errors else None)
        return errors

    def children(self) -> dict[str | int, FieldWidget]:
        return dict(enumerate(self.items))


class OptionalField(FieldWidget):
    """`X | null` (or optional without default): a toggle; off sends nothing, on shows X.

    The inner widget is built on first use, which keeps forms with many optional fields cheap.
    """

    optional_ok = True

    def __init__(
        self, spec: FieldSpec, ctx: BuildContext, make_inner: Callable[[], FieldWidget]
    ) -> None:
        self._make_inner = make_inner
        self.inner: FieldWidget | None = None
        super().__init__(spec, ctx)

    def build(self) -> w.Box:
        self.toggle = self.ctx.control(
            w.Checkbox,
            "small",
            value=False,
            description=self.label(),
            tooltip=self.tooltip(),
            indent=True,
        )
        self.toggle.add_class("fw-optional")
        self.toggle.observe(self._toggled, "value")
        box = self.row(self.toggle)
        self._pending_error = self.default_problem()
        initial = self.initial()
        if initial is not MISSING:
            self.widget = box
            try:
                self.set(initial)
            except Exception as exc:  # an odd schema default: say so, start switched off
                if self.inner is not None:
                    self.inner.clear_errors()
                self._pending_error = f"{_message(exc)} (schema default {_short(initial)})"
        return box

    def _ensure_inner(self) -> FieldWidget:
        if self.inner is None:
            inner = self._make_inner()
            inner.restorable = False  # this toggle restores the default as a whole
            inner.clear_errors()  # an odd default is reported once, on the toggle row
            inner.widget.layout.display = None if self.toggle.value else "none"
            inner.observe(lambda _: self.changed())
            self.inner = inner
            self.widget.children = (*self.widget.children, inner.widget)
        return self.inner

    def _toggled(self, change: dict[str, Any]) -> None:
        problem = None
        try:
            inner = self._ensure_inner()
            inner.widget.layout.display = None if change["new"] else "none"
            if change["new"]:
                if not self._muted:
                    inner.validate()  # what is switched on now counts: show its problems
            else:
                inner.clear_errors()
        except Exception as exc:
            problem = _message(exc)
        self.changed()
        if problem is not None:
            self.set_error(problem)  # after changed(): validate() would clear it

    def get(self) -> Any:
        if not self.toggle.value or self.inner is None:
            return MISSING
        return self.inner.get()

    def set(self, value: Any) -> None:
        if value is MISSING or value is None:
            self.toggle.value = False
            return
        inner = self._ensure_inner()
        inner.set(value)
        self.toggle.value = True
        inner.changed()  # re-check even when the control did not change (clears a stale mark)

    def validate(self) -> list[dict[str, Any]]:
        """Off sends nothing (always valid); on, the inner widget marks itself. Either way a mark
        on the toggle row (a 422 "Field required", a rejected value) is stale now."""
        if self._error is not None:
            super().set_error(None)
        return []

    def _target(self, message: str | None) -> FieldWidget:
        """Where a message shows: beside the inner control when it is on, else on the toggle."""
        if self.inner is not None and message is not None and self.toggle.value:
            return self.inner
        return self

    def set_error(self, message: str | None) -> None:
        target = self._target(message)
        if target is self:
            super().set_error(message)
        else:
            target.set_error(message)

    def reject(self, message: str) -> None:
        target = self._target(message)
        if target is self:
            super().reject(message)
        else:
            target.reject(message)

    def children(self) -> dict[str | int, FieldWidget]:
        return self.inner.children() if self.inner is not None and self.toggle.value else {}

    def child_at(self, key: str | int) -> FieldWidget | None:
        return self._ensure_inner().child_at(key)

    def iter_fields(self) -> Any:
        """Switched off, the inner widgets send nothing: nothing there to validate or report."""
        yield self
        if self.inner is not None and self.toggle.value:
            yield from self.inner.iter_fields()


class UnionField(FieldWidget):
    """Other unions: choose a branch, then edit it; branch widgets are built when chosen."""

    def build(self) -> w.Box:
        self.branches: dict[int, FieldWidget] = {}
        labels = [_variant_label(v, i) for i, v in enumerate(self.spec.variants)]
        self.choice = self.ctx.control(
            w.Dropdown,
            "text",
            options=[(label, i) for i, label in enumerate(labels)],
            description=self.label(),
            tooltip=self.tooltip(),
        )
        self.choice.add_class("fw-union")
        self.holder = w.Box(layout=self.ctx.layout("column"))
        initial = self.initial()
        try:
            self.choice.value = self._pick(initial) if initial is not MISSING else 0
            self._show(self.choice.value, initial)
        except Exception as exc:  # a default no branch accepts: show the first branch, say so
            self._pending_error = f"{_message(exc)} (schema default {_short(initial)})"
            self.choice.value = 0
            self._show(0)
        self.choice.observe(self._chose, "value")
        return self.row(self.choice, self.holder)

    def _branch(self, index: int) -> FieldWidget:
        if index not in self.branches:
            variant = self.spec.variants[index].evolve(
                name=self.spec.name, required=True, title=" ", description=""
            )
            branch = self.ctx.registry.build(variant, self.ctx)
            branch.restorable = False
            branch.observe(lambda _: self.changed())
            self.branches[index] = branch
        return self.branches[index]

    def _show(self, index: int, value: Any = MISSING) -> None:
        branch = self._branch(index)
        if value is not MISSING:
            branch.set(value)
        self.holder.children = (branch.widget,)

    def _chose(self, change: dict[str, Any]) -> None:
        problem = None
        try:
            self._show(change["new"])
        except Exception as exc:
            problem = _message(exc)
        self.changed()
        if problem is not None:
            self.set_error(problem)

    def _pick(self, value: Any) -> int:
        for i, variant in enumerate(self.spec.variants):
            if not local_errors(variant.evolve(nullable=False), value):
                return i
        raise ValueError("Input matches none of the allowed types")

    def get(self) -> Any:
        return self._branch(self.choice.value).get()

    def set(self, value: Any) -> None:
        if value is MISSING or value is None:
            self.choice.value = 0
            return
        index = self._pick(value)
        branch = self._branch(index)
        branch.set(value)
        self.choice.value = index
        self._show(index)
        branch.changed()  # re-check even when the control did not change (clears a stale mark)

    def validate(self) -> list[dict[str, Any]]:
        if self._error is not None:
            self.set_error(None)  # the chosen branch marks itself; a mark here is stale
        return []

    def children(self) -> dict[str | int, FieldWidget]:
        return self._branch(self.choice.value).children()

    def iter_fields(self) -> Any:
        yield self
        yield from self._branch(self.choice.value).iter_fields()


def _variant_label(spec: FieldSpec, index: int) -> str:
    if spec.title:
        return spec.title
    if spec.ref:
        return spec.ref
    if spec.kind == "enum":
        return "choice"
    if spec.kind == "array" and spec.items is not None:
        return f"list of {spec.items.kind}"
    return spec.kind if spec.kind != "any" else f"option {index + 1}"


class ImageSizeField(FieldWidget):
    """`ImageSize | preset`: preset toggle buttons plus a custom width x height.

    When the field is optional a first "default" button sends nothing (the server's default), so
    the presets stay visible instead of hiding behind an optional toggle.
    """

    CUSTOM = "custom"
    DEFAULT = ""
    optional_ok = True

    @property
    def optional(self) -> bool:
        spec = self.spec
        return spec.nullable or (not spec.required and spec.default in (MISSING, None))

    def build(self) -> w.Box:
        enum_variant = next((v for v in self.spec.variants if v.kind == "enum"), None)
        self._object = next((v for v in self.spec.variants if v.kind == "object"), None)
        self.presets: tuple[str, ...] = tuple(enum_variant.enum) if enum_variant else ()
        options: list[Any] = [(p, p) for p in self.presets]
        if self._object:
            options.append((self.CUSTOM, self.CUSTOM))
        if self.optional:
            options.insert(0, ("default", self.DEFAULT))
        self.buttons = self.ctx.control(
            w.ToggleButtons,
            "presets",
            options=options,
            description=self.label(),
            tooltip=self.tooltip(),
        )
        self.buttons.add_class("fw-imagesize")
        self._dims = {
            name: self.ctx.control(w.IntText, "number", description=label)
            for name, label in (("width", "width"), ("height", "x height"))
        }
        for name, box in self._dims.items():
            box.add_class(f"fw-imagesize-{name}")
            box.value = self._dim_default(name)
        self.show_initial()
        self.buttons.observe(self.changed, "value")
        for box in self._dims.values():
            box.observe(self._dim_changed, "value")
        return self.row(self.buttons, *self._dims.values())

    def _dim_default(self, name: str) -> int:
        if self._object is not None:
            try:
                default = self._object.child(name).default
            except KeyError:
                default = MISSING
            if isinstance(default, int):
                return default
        return 1024

    def _dim_changed(self, change: dict[str, Any]) -> None:
        if self._muted:
            return
        if self.buttons.value != self.CUSTOM and self._object is not None:
            self.buttons.value = self.CUSTOM  # fires changed()
        else:
            self.changed()

    def get(self) -> Any:
        choice = self.buttons.value
        if choice == self.CUSTOM:
            return {name: box.value for name, box in self._dims.items()}
        return MISSING if choice in (None, self.DEFAULT) else choice

    def set(self, value: Any) -> None:
        if (value is MISSING or value is None) and self.optional:
            self.buttons.value = self.DEFAULT
            return
        if value is MISSING or value is None:
            value = self.presets[0] if self.presets else {}
        if isinstance(value, str):
            if value not in self.presets:
                raise ValueError(f"Unknown size preset {value!r}")
            self.buttons.value = value
            return
        if not isinstance(value, dict) or self._object is None:
            raise TypeError("Input should be a preset name or {width, height}")
        with self.muted():
            for name, box in self._dims.items():
                dim = value.get(name, box.value)
                if isinstance(dim, bool) or not isinstance(dim, int):
                    raise TypeError(f"{name} should be a valid integer")
                box.value = dim
        self.buttons.value = self.CUSTOM

    def validate(self) -> list[dict[str, Any]]:
        value = self.get()
        if isinstance(value, dict) and self._object is not None:
            for name in self._dims:
                try:
                    errs = local_errors(self._object.child(name), value[name])
                except KeyError:
                    continue
                if errs:
                    self.set_error(f"{name}: {errs[0]['msg']}")
                    return [{"loc": [name], **{k: errs[0][k] for k in ("msg", "type")}}]
        self.set_error(None)
        return []

    def child_at(self, key: str | int) -> FieldWidget | None:
        return self if key in self._dims else None
