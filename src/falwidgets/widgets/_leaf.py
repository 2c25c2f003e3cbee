"""Widgets for single values: text, prompt, numbers, enums, booleans, seeds, colours, JSON."""

from __future__ import annotations

import html
import json
import random
from typing import Any, ClassVar

import ipywidgets as w

from falwidgets.schema import MISSING
from falwidgets.widgets._base import FieldWidget
from falwidgets.widgets._validate import loads_json

COMBOBOX_THRESHOLD = 20
"""Enums with more choices than this get a searchable combobox instead of a dropdown."""


PLACEHOLDER_LIMIT = 120


def example_placeholder(examples: tuple[Any, ...]) -> str | None:
    """The first string example as a placeholder, marked "e.g. " so that it never reads as a
    value already filled in (the form's CSS also greys and italicises placeholders)."""
    if not examples or not isinstance(examples[0], str) or not examples[0].strip():
        return None
    text = " ".join(examples[0].split())
    if len(text) > PLACEHOLDER_LIMIT:
        text = text[: PLACEHOLDER_LIMIT - 1] + "…"
    return f"e.g. {text}"


class TextField(FieldWidget):
    """A one-line string; empty means "send nothing" unless the field is required."""

    optional_ok = True
    control_cls: ClassVar[type[w.Widget]] = w.Text
    layout_name: ClassVar[str] = "line"

    def build(self) -> w.Box:
        kwargs: dict[str, Any] = {"description": self.label(), "tooltip": self.tooltip()}
        placeholder = example_placeholder(self.spec.examples)
        if placeholder:
            kwargs["placeholder"] = placeholder
        self.control = self.ctx.control(self.control_cls, self.layout_name, **kwargs)
        self.show_initial()
        self.control.observe(self.changed, "value")
        return self.row(self.control)

    def get(self) -> Any:
        text = self.control.value
        if text == "" and not self._empty_is_value and self.spec.default != "":
            return MISSING  # empty sends nothing (a required field then reports "Field required")
        return text

    def set(self, value: Any) -> None:
        self._empty_is_value = value == ""  # an explicit "" is sent; a cleared box is not
        if value is MISSING or value is None:
            value = ""
        if not isinstance(value, str):
            raise TypeError("Input should be a valid string")
        self.control.value = value

    def changed(self, *args: Any) -> None:
        if not self._muted and self.control.value:
            self._empty_is_value = False
        super().changed(*args)


class PromptField(TextField):
    """Prompts get a textarea (fal renders `prompt`/`*_prompt` that way)."""

    control_cls = w.Textarea
    layout_name = "wide"


class JsonStringField(TextField):
    """A string that must hold JSON: a textarea checked with `json.loads` on every change."""

    control_cls = w.Textarea
    layout_name = "wide"


class JsonField(FieldWidget):
    """Any JSON value edited as text: for untyped schema nodes and free-form objects."""

    optional_ok = True
    fallback = True

    def build(self) -> w.Box:
        self.control = self.ctx.control(
            w.Textarea, "wide", description=self.label(), tooltip=self.tooltip(), placeholder="JSON"
        )
        self.show_initial()
        self.control.observe(self.changed, "value")
        return self.row(self.control)

    def get(self) -> Any:
        text = self.control.value.strip()
        if not text:
            return MISSING
        try:
            return loads_json(text)
        except ValueError:
            return text  # keep what was typed; validate() reports it

    def set(self, value: Any) -> None:
        self.control.value = "" if value is MISSING else json.dumps(value, indent=1)

    def validate(self) -> list[dict[str, Any]]:
        text = self.control.value.strip()
        if text:
            try:
                loads_json(text)
            except ValueError as exc:
                self.set_error(f"Invalid JSON: {exc}")
                return [{"loc": [], "msg": f"Invalid JSON: {exc}", "type": "json_invalid"}]
        return super().validate()


class BoolField(FieldWidget):
    def build(self) -> w.Box:
        self.control = self.ctx.control(
            w.Checkbox, "small", description=self.label(), tooltip=self.tooltip(), indent=True
        )
        self.show_initial()
        self.control.observe(self.changed, "value")
        return self.row(self.control)

    def get(self) -> Any:
        return self.control.value

    def set(self, value: Any) -> None:
        if value is MISSING:
            value = False
        if not isinstance(value, bool):
            raise TypeError("Input should be a valid boolean")
        self.control.value = value


class NumberField(FieldWidget):
    """Numbers: a slider plus a number box when both bounds are known, else a number box.

    The number box is unbounded on purpose: ipywidgets' bounded inputs clamp silently, while a
    value out of range must be shown as an error beside the field.
    """

    def build(self) -> w.Box:
        spec = self.spec
        is_int = spec.kind == "integer"
        box_cls = w.IntText if is_int else w.FloatText
        kwargs: dict[str, Any] = {"description": self.label(), "tooltip": self.tooltip()}
        if spec.multiple_of:
            kwargs["step"] = int(spec.multiple_of) if is_int else spec.multiple_of
        self.control = self.ctx.control(box_cls, "number", **kwargs)
        self.slider: w.Widget | None = None
        if spec.bounded:
            self.slider = self._slider(is_int)
        self.show_initial()
        self.control.observe(self.changed, "value")
        if self.slider is not None:
            self.slider.observe(self._slid, "value")
            return self.row(self.control, self.slider)
        return self.row(self.control)

    def _slider(self, is_int: bool) -> w.Widget:
        spec = self.spec
        low = spec.minimum if spec.minimum is not None else spec.exclusive_minimum
        high = spec.maximum if spec.maximum is not None else spec.exclusive_maximum
        assert low is not None and high is not None
        if is_int:
            step = max(1, int(spec.multiple_of or 1))
        else:
            step = spec.multiple_of or _nice_step(high - low)
        if spec.minimum is None:  # exclusive bounds: the slider stays strictly inside
            low += step
        if spec.maximum is None:
            high -= step
        if high < low:
            high = low
        cls = w.IntSlider if is_int else w.FloatSlider
        extra = {} if is_int else {"readout_format": ".4g"}
        return self.ctx.control(
            cls,
            "text",
            min=int(low) if is_int else low,
            max=int(high) if is_int else high,
            step=step,
            readout=False,
            continuous_update=False,
            **extra,
        )

    def _slid(self, change: dict[str, Any]) -> None:
        if self._muted:
            return
        self.control.value = change["new"]  # the box is the source of truth; it fires changed()

    def get(self) -> Any:
        return self.control.value

    def set(self, value: Any) -> None:
        if value is MISSING or value is None:
            value = _rest_value(self.spec)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise TypeError(
                f"Input should be a valid {'integer' if self.spec.kind == 'integer' else 'number'}"
            )
        if self.spec.kind == "integer":
            if float(value) != int(value):
                raise TypeError("Input should be a valid integer")
            value = int(value)
        self.control.value = value
        self._sync_slider()

    def changed(self, *args: Any) -> None:
        self._sync_slider()
        super().changed(*args)

    def _sync_slider(self) -> None:
        if self.slider is None:
            return
        self._muted += 1
        try:
            value = self.control.value
            self.slider.value = min(max(value, self.slider.min), self.slider.max)
        finally:
            self._muted -= 1


def _nice_step(span: float) -> float:
    """A slider step of about 1/100 of the range, rounded to 1, 2 or 5 times a power of ten."""
    if span <= 0:
        return 0.01
    raw = span / 100
    power = 10 ** _floor_log10(raw)
    for mult in (1, 2, 5, 10):
        if raw <= mult * power:
            return mult * power
    return 10 * power


def _floor_log10(x: float) -> int:
    import math

    return math.floor(math.log10(x))


def _rest_value(spec: Any) -> float:
    """What a number widget shows with no default: the lower bound if any, else 0."""
    low = spec.minimum if spec.minimum is not None else spec.exclusive_minimum
    value = low if low is not None and low > 0 else 0
    return int(value) if spec.kind == "integer" else float(value)


class EnumField(FieldWidget):
    """A dropdown of the choices; a searchable combobox when there are many of them."""

    def build(self) -> w.Box:
        choices = list(self.spec.enum)
        self._by_label = {str(c): c for c in choices}
        kwargs = {"description": self.label(), "tooltip": self.tooltip()}
        if len(choices) > COMBOBOX_THRESHOLD:
            self.control = self.ctx.control(
                w.Combobox,
                "text",
                options=list(self._by_label),
                ensure_option=False,
                placeholder="type to search",
                **kwargs,
            )
            self.control.add_class("fw-combobox")
        else:
            self.control = self.ctx.control(
                w.Dropdown, "text", options=[(str(c), c) for c in choices], **kwargs
            )
        self.show_initial()
        self.control.observe(self.changed, "value")
        return self.row(self.control)

    @property
    def searchable(self) -> bool:
        return isinstance(self.control, w.Combobox)

    def get(self) -> Any:
        if self.searchable:
            text = self.control.value
            if text == "":
                return MISSING
            return self._by_label.get(text, text)
        return self.control.value

    def set(self, value: Any) -> None:
        if value is MISSING or value is None:
            value = MISSING if self.searchable or not self.spec.enum else self.spec.enum[0]
        if self.searchable:
            self.control.value = "" if value is MISSING else str(value)
            return
        if value not in self.spec.enum:
            raise ValueError(f"Input should be one of {', '.join(map(repr, self.spec.enum[:8]))}")
        self.control.value = value


class ConstField(FieldWidget):
    """A fixed value: shown, not editable."""

    def build(self) -> w.Box:
        text = html.escape(json.dumps(self.spec.const))
        self.control = w.HTML(
            f"<code>{text}</code>",
            description=self.label(),
            tooltip=self.tooltip(),
            layout=self.ctx.layout("small"),
            style=self.ctx.style(w.HTML),
        )
        self._on = self.spec.required or self.spec.has_default
        return self.row(self.control)

    def get(self) -> Any:
        return self.spec.const if self._on else MISSING

    def set(self, value: Any) -> None:
        if value is MISSING:
            self._on = self.spec.required or self.spec.has_default
            return
        if value != self.spec.const:
            raise ValueError(f"Input should be {self.spec.const!r}")
        self._on = True

    def initial(self) -> Any:
        return MISSING


class SeedField(FieldWidget):
    """Seeds: an integer box that may stay empty (server picks) and a randomise button."""

    optional_ok = True
    MAX_SEED = 2**31 - 1

    def build(self) -> w.Box:
        self.control = self.ctx.control(
            w.Text,
            "number",
            description=self.label(),
            tooltip=self.tooltip(),
            placeholder="random",
        )
        self.button = w.Button(
            description="",
            icon="random",  # Font Awesome ships with JupyterLab; emoji fonts often do not
            tooltip="random seed",
            layout=self.ctx.layout("small"),
        )
        self.button.add_class("fw-seed-random")
        self.button.on_click(self.randomise)
        self.show_initial()
        self.control.observe(self.changed, "value")
        return self.row(self.control, self.button)

    def randomise(self, *_: Any) -> int:
        """Pick a new seed within the field's bounds (shown and sent)."""
        low = int(self.spec.minimum) if self.spec.minimum is not None else 0
        high = int(self.spec.maximum) if self.spec.maximum is not None else self.MAX_SEED
        seed = random.randint(low, max(low, high))
        self.control.value = str(seed)
        return seed

    def get(self) -> Any:
        text = self.control.value.strip()
        if not text:
            return MISSING
        try:
            return int(text)
        except ValueError:
            return text  # validate() marks it

    def set(self, value: Any) -> None:
        if value is MISSING or value is None:
            self.control.value = ""
            return
        if isinstance(value, bool) or not isinstance(value, int):
            raise TypeError("Input should be a valid integer")
        self.control.value = str(value)

    def validate(self) -> list[dict[str, Any]]:
        if isinstance(self.get(), str):
            self.set_error("Input should be a valid integer")
            return [{"loc": [], "msg": "Input should be a valid integer", "type": "int_parsing"}]
        return super().validate()


class ColorField(FieldWidget):
    """`RGBColor {r, g, b}` as a colour picker; the value stays the object the API wants."""

    def build(self) -> w.Box:
        self.control = self.ctx.control(
            w.ColorPicker, "text", description=self.label(), tooltip=self.tooltip(), concise=False
        )
        self.show_initial()
        self.control.observe(self.changed, "value")
        return self.row(self.control)

    def get(self) -> Any:
        text = self.control.value.lstrip("#")
        if len(text) == 3:
            text = "".join(c * 2 for c in text)
        try:
            r, g, b = (int(text[i : i + 2], 16) for i in (0, 2, 4))
        except ValueError:
            return MISSING  # a named colour from the picker's text box: nothing we can send
        return {"r": r, "g": g, "b": b}

    def set(self, value: Any) -> None:
        if value is MISSING or value is None:
            value = {"r": 0, "g": 0, "b": 0}
        if not isinstance(value, dict):
            raise TypeError("Input should be an object with r, g, b")
        try:
            rgb = [int(value.get(k, 0)) for k in "rgb"]
        except (TypeError, ValueError):
            raise TypeError("r, g and b should be integers") from None
        if any(not 0 <= c <= 255 for c in rgb):
            raise ValueError("r, g and b should be between 0 and 255")
        self.control.value = "#" + "".join(f"{c:02x}" for c in rgb)


class HiddenField(FieldWidget):
    """A field the schema hides from forms (`ui.hidden`): keeps its default, shows nothing."""

    def build(self) -> w.Box:
        self._value = self.initial()
        box = self.row()
        box.layout = w.Layout(display="none")
        return box

    def get(self) -> Any:
        return self._value

    def set(self, value: Any) -> None:
        self._value = value


class ValueWidgetField(FieldWidget):
    """Adapter for user factories that return a plain ipywidgets `ValueWidget`."""

    def __init__(self, spec: Any, ctx: Any, control: w.ValueWidget) -> None:
        self.control = control
        super().__init__(spec, ctx)

    def build(self) -> w.Box:
        init = self.initial()
        if init is not MISSING:
            try:
                self.control.value = init
            except Exception as exc:  # a default the user's widget cannot show
                self._pending_error = str(exc)
        self.control.observe(self.changed, "value")
        return self.row(self.control)

    def get(self) -> Any:
        value = self.control.value
        return list(value) if isinstance(value, tuple) else value

    def set(self, value: Any) -> None:
        if value is not MISSING:
            self.control.value = value
