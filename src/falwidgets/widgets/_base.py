"""The one protocol every field widget implements, so forms compose them uniformly.

A `FieldWidget` is a small controller around one or a few ipywidgets: it reads and writes its value
in JSON form (`MISSING` means "send nothing"), notifies observers, shows its own error beside the
control and restores its default. ipywidgets construction is the cost of a form, so controllers
share `Layout`/style objects through the `BuildContext` and create error labels only when needed.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from functools import cache
from typing import Any, ClassVar

import ipywidgets as w

from falwidgets.schema import MISSING, FieldSpec
from falwidgets.widgets._validate import check, local_errors

Loc = tuple[str | int, ...]
Uploader = Callable[[bytes, str, str], str]
"""`uploader(data, content_type, file_name) -> url`: where uploads go (the client's upload)."""

TEXT_MAX_WIDTH = "960px"
"""Text inputs grow with the form up to this (longer lines are hard to read)."""

_LAYOUTS: dict[str, dict[str, str]] = {
    "row": {"flex_flow": "row wrap", "align_items": "center", "margin": "2px 0"},
    "top_row": {"flex_flow": "row wrap", "align_items": "flex-start", "margin": "2px 0"},
    "column": {"flex_flow": "column", "margin": "2px 0"},
    "error": {"width": "100%", "margin": "0 0 0 164px"},
    # text boxes and textareas fill the form's width (as the Advanced bar does), up to a
    # readable maximum, leaving room for a restore button; numbers and choices stay compact
    "wide": {"flex": "1 1 320px", "width": "auto", "max_width": TEXT_MAX_WIDTH},
    "line": {"flex": "1 1 320px", "width": "auto", "max_width": TEXT_MAX_WIDTH},
    "grow": {"flex_flow": "row wrap", "align_items": "center", "flex": "1 1 auto"},
    "rows": {"flex_flow": "column", "flex": "1 1 320px", "max_width": TEXT_MAX_WIDTH},
    "presets": {"width": "min(100%, 640px)"},
    "text": {"width": "min(100%, 480px)"},
    "number": {"width": "320px"},  # 160px description + a usable box
    "small": {"width": "auto", "flex": "0 0 auto"},
    "group": {
        "border": "1px solid #ddd",
        "padding": "4px",
        "margin": "4px 0",
        "flex_flow": "column",
    },
    "item": {"flex_flow": "row", "align_items": "flex-start", "margin": "2px 0"},
    "thumbs": {"flex_flow": "row wrap", "width": "100%", "margin": "0 0 0 164px"},
    "row_thumbs": {"flex_flow": "row wrap", "width": "100%"},
}
_STYLE = {"description_width": "160px"}


def default_uploader(data: bytes, content_type: str, file_name: str) -> str:
    """Inline a file as a data URI: works offline and with every fal endpoint that accepts them."""
    from falwidgets.client import data_uri  # the client's one bytes -> data URI rule

    del file_name
    return data_uri(data, content_type or "application/octet-stream")


class BuildContext:
    """What a factory needs besides the spec: registry, uploader, shared layouts, its path."""

    def __init__(
        self,
        registry: Any,
        uploader: Uploader | None = None,
        path: Loc = (),
        shared: dict[Any, Any] | None = None,
    ) -> None:
        self.registry = registry
        self.uploader: Uploader = uploader or default_uploader
        self.path = path
        self._shared: dict[Any, Any] = {} if shared is None else shared

    @property
    def uploads(self) -> set[Any]:
        """Uploads still running anywhere in this form (shared by every field's context)."""
        return self._shared.setdefault("uploads", set())

    def at(self, key: str | int) -> BuildContext:
        """The context of a child field at `key` below this one."""
        return BuildContext(self.registry, self.uploader, (*self.path, key), self._shared)

    def build(self, spec: FieldSpec, key: str | int) -> FieldWidget:
        """Build the widget of a child field through the registry."""
        return self.registry.build(spec, self.at(key))

    def layout(self, name: str) -> w.Layout:
        """A shared `Layout` (they are widgets too: one per kind per form, not one per control)."""
        key = ("layout", name)
        if key not in self._shared:
            self._shared[key] = w.Layout(**_LAYOUTS[name])
        return self._shared[key]

    def style(self, widget_cls: type[w.Widget]) -> Any:
        """A shared description style for a widget class (again: fewer widget constructions)."""
        style_cls = widget_cls.style.klass  # type: ignore[attr-defined]
        key = ("style", style_cls)
        if key not in self._shared:
            self._shared[key] = style_cls(**_STYLE)
        return self._shared[key]

    def control(self, cls: type[w.Widget], layout: str = "text", **kwargs: Any) -> Any:
        """Construct an ipywidget with the shared layout and style."""
        if _has_style(cls) and "style" not in kwargs:
            kwargs["style"] = self.style(cls)
        return cls(layout=self.layout(layout), **kwargs)


@cache
def _has_style(cls: type[w.Widget]) -> bool:
    return "style" in cls.class_trait_names()


def css_name(name: str | int) -> str:
    """A CSS-class-safe version of a field name (names come from third-party schemas)."""
    return re.sub(r"[^A-Za-z0-9_-]", "-", str(name)) or "_"


class FieldWidget:
    """Base controller: subclasses implement `build`, `get` and `set`; the rest is shared.

    `widget` is the row shown in the form (classes `fw-field fw-field-<name>`). Callbacks never
    raise: an exception inside a change handler is shown on the field instead.
    """

    fallback: ClassVar[bool] = False  # a generic JSON/text editor standing in for a typed schema
    optional_ok: ClassVar[bool] = False  # can represent "send nothing" itself (no toggle needed)

    def __init__(self, spec: FieldSpec, ctx: BuildContext) -> None:
        self.spec = spec
        self.ctx = ctx
        self.path: Loc = ctx.path
        self._observers: list[Callable[[FieldWidget], None]] = []
        self._error: str | None = None
        self._error_label: w.HTML | None = None
        self._rejected: str | None = None  # a value that could not be shown: kept until a change
        self._pending_error: str | None = None  # found while building, shown once the row exists
        self._restore: w.Button | None = None  # "restore default", created on first difference
        self.restorable = True  # False for widgets inside another (the outer one restores)
        self._muted = 0
        self.widget: w.Box = self.build()
        if self._pending_error is not None:
            self.set_error(self._pending_error)

    # --- to implement -------------------------------------------------------------------------
    def build(self) -> w.Box:
        raise NotImplementedError

    def get(self) -> Any:
        """The current value in JSON form, or `MISSING` to send nothing."""
        raise NotImplementedError

    def set(self, value: Any) -> None:
        """Show `value` (JSON form); `MISSING` clears it. Bad values raise; `value=` catches."""
        raise NotImplementedError

    # --- shared behaviour ---------------------------------------------------------------------
    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def value(self) -> Any:
        return self.get()

    @value.setter
    def value(self, value: Any) -> None:
        self.assign(value)

    def assign(self, value: Any) -> None:
        """Set a value from outside: errors land on the field, observers hear once."""
        with self.muted():
            try:
                self.set(value)
            except Exception as exc:
                self.reject(_message(exc))
                return
        self.changed()

    def reject(self, message: str) -> None:
        """Mark a value that could not be shown; unlike check errors it survives `validate()`
        (the control still shows the old, valid value) until the next change."""
        self._rejected = message
        self.set_error(message)

    def show_initial(self) -> None:
        """Show the default while building; an odd schema default becomes a field error."""
        self._pending_error = self.default_problem()
        initial = self.initial()
        try:
            self.set(initial)
        except Exception as exc:
            self._pending_error = f"{_message(exc)} (schema default {_short(initial)})"

    def initial(self) -> Any:
        """The value a fresh widget shows: the default, else nothing (also for a default that
        breaks the field's own type, which the server applies anyway when nothing is sent)."""
        default = self.spec.default
        if default is MISSING or default is None or self.default_problem() is not None:
            return MISSING
        return default

    def default_problem(self) -> str | None:
        """Why the schema's default cannot be shown (fal-ai/flowedit: an integer default 1.5)."""
        default = self.spec.default
        if default is MISSING or default is None:
            return None
        errors = local_errors(self.spec, default)
        return f"{errors[0]['msg']} (schema default {_short(default)})" if errors else None

    def reset(self) -> None:
        """Restore the default (or nothing when there is none) and clear errors."""
        self.assign(self.initial())
        if self._error is not None and self._rejected is None:
            self.set_error(None)

    def observe(self, callback: Callable[[FieldWidget], None]) -> None:
        """Call `callback(field)` after every change of this field's value."""
        self._observers.append(callback)

    def muted(self) -> _Muted:
        return _Muted(self)

    def changed(self, *_: Any) -> None:
        """Change handler for the controls: validate, then tell observers; never raises."""
        if self._muted:
            return
        self._rejected = None
        try:
            self.validate()
        except Exception as exc:
            self.set_error(_message(exc))
        self.sync_restore()
        for callback in list(self._observers):
            try:
                callback(self)
            except Exception as exc:
                self.set_error(_message(exc))

    def validate(self) -> list[dict[str, Any]]:
        """Check this field's own value and mark it; containers leave it to their children."""
        value = self.get()
        errors = [] if value is MISSING else check(self.spec, value)
        self.set_error(errors[0]["msg"] if errors else None)
        return errors

    def set_error(self, message: str | None) -> None:
        """Show `message` beside the control (escaped), or clear it with `None`."""
        self._error = message
        if message is None:
            self._rejected = None
            if self._error_label is not None:
                self._error_label.value = ""
                self._error_label.layout.display = "none"
            return
        if self._error_label is None:
            self._error_label = w.HTML(layout=w.Layout(**_LAYOUTS["error"]))
            self._error_label.add_class("fw-error")
            self.widget.children = (*self.widget.children, self._error_label)
        self._error_label.layout.display = None
        self._error_label.value = (
            f'<span style="color:#c62828;font-size:90%">{html.escape(message)}</span>'
        )

    @property
    def error(self) -> str | None:
        return self._error

    # --- restore default ----------------------------------------------------------------------
    def default_value(self) -> Any:
        """The schema default this field can restore, or `MISSING` (no button then)."""
        default = self.spec.default
        return MISSING if default is MISSING or default is None else self.initial()

    def sync_restore(self) -> None:
        """Show a "restore default" button while the value differs from the default.

        The button is created on the first difference, so building a form costs nothing extra.
        """
        if not self.restorable:
            return
        default = self.default_value()
        if default is MISSING:
            return
        try:
            differs = self.get() != default
        except Exception:
            differs = True
        if differs and self._restore is None:
            self._restore = w.Button(
                icon="undo",
                tooltip=f"restore the default: {_short(default)}",
                layout=w.Layout(width="auto", margin="0 0 0 4px"),
            )
            self._restore.add_class("fw-restore")
            self._restore.on_click(lambda _: self._guarded_reset())
            children = list(self.widget.children)
            at = children.index(self._error_label) if self._error_label in children else None
            children.insert(len(children) if at is None else at, self._restore)
            self.widget.children = tuple(children)
        if self._restore is not None:
            self._restore.layout.display = None if differs else "none"

    def _guarded_reset(self) -> None:
        try:
            self.reset()
        except Exception as exc:  # a button callback must never raise
            self.set_error(_message(exc))

    @property
    def restore_shown(self) -> bool:
        """Whether the "restore default" button is visible."""
        return self._restore is not None and self._restore.layout.display != "none"

    def children(self) -> dict[str | int, FieldWidget]:
        """Built child fields (containers only), by property name or list index."""
        return {}

    def child_at(self, key: str | int) -> FieldWidget | None:
        """The child that shows `key` (building it if needed), for routing error locations."""
        return self.children().get(key)

    def iter_fields(self) -> Iterator[FieldWidget]:
        yield self
        for sub in self.children().values():
            yield from sub.iter_fields()

    def errors(self) -> list[dict[str, Any]]:
        """Current errors of this field and its children, pydantic-shaped."""
        return [
            {"loc": list(f.path), "msg": f._error, "type": "value_error"}
            for f in self.iter_fields()
            if f._error is not None
        ]

    def clear_errors(self) -> None:
        for f in self.iter_fields():
            if f._error is not None:
                f.set_error(None)

    # --- helpers for subclasses ---------------------------------------------------------------
    def row(self, *controls: w.Widget, layout: str = "row") -> w.Box:
        """The field's row: classes `fw-field fw-field-<name>`, errors appended lazily."""
        box = w.Box(children=controls, layout=self.ctx.layout(layout))
        box.add_class("fw-field")
        box.add_class(f"fw-field-{css_name(self.spec.name)}")
        return box

    def tooltip(self) -> str | None:
        """Description (and hint) as a tooltip: a `title` attribute, so the browser escapes it."""
        parts = [self.spec.description.strip()]
        hint = self.spec.hints.get("hint") if isinstance(self.spec.hints, dict) else None
        if isinstance(hint, str):
            parts.append(hint)
        text = "\n".join(p for p in parts if p)
        return text or None

    def label(self) -> str:
        return self.spec.label + (" *" if self.spec.required else "")


class _Muted:
    def __init__(self, field: FieldWidget) -> None:
        self.field = field

    def __enter__(self) -> None:
        self.field._muted += 1

    def __exit__(self, *_: object) -> None:
        self.field._muted -= 1


def _short(value: Any, limit: int = 60) -> str:
    """A short repr for messages and tooltips (defaults may be long lists or prompts)."""
    text = repr(value)
    return text if len(text) <= limit else text[: limit - 1] + "…"


def _message(exc: BaseException) -> str:
    """A short, user-facing message for an exception caught in a widget callback."""
    text = str(exc).strip().splitlines()
    first = text[0] if text else type(exc).__name__
    return first[:300]
