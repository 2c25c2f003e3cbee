"""`form(...)`: a whole endpoint (or Pydantic model) as one ipywidgets form with a JSON `value`."""

from __future__ import annotations

import html
import os
from collections.abc import Mapping
from typing import Any

import ipywidgets as w
import traitlets

from falwidgets.schema import MISSING, FieldSpec
from falwidgets.widgets._base import BuildContext, FieldWidget, Uploader, _message
from falwidgets.widgets._code import snippets
from falwidgets.widgets._composite import ObjectField, initial_value
from falwidgets.widgets._errors import normalize_errors
from falwidgets.widgets._registry import REGISTRY, WidgetRegistry
from falwidgets.widgets._upload import wait_all

_CSS = (
    "<style>"
    ".fw-form input::placeholder,.fw-form textarea::placeholder"
    "{color:#9e9e9e;font-style:italic;opacity:1}"
    "</style>"
)
"""Placeholders (examples) must look unlike values: an empty required field has to look empty."""


class Form(w.VBox):
    """A live form: `value` (a JSON dict) follows the widgets and setting it updates them.

    Required and `important` fields come first; the rest sit in a collapsible "Advanced" section
    whose widgets are built on first open (or when `.fields`, `show_errors` or a value needs them).
    """

    value = traitlets.Dict()

    def __init__(
        self,
        spec: FieldSpec,
        *,
        endpoint_id: str | None = None,
        endpoint: Any = None,
        model_cls: Any = None,
        uploader: Uploader | None = None,
        registry: WidgetRegistry | None = None,
        expand: bool = False,
    ) -> None:
        if spec.kind != "object":
            raise TypeError(f"a form needs an object schema, got {spec.kind!r}")
        self.spec = spec
        self.endpoint_id = endpoint_id or ""
        self._endpoint = endpoint
        self._model_cls = model_cls
        self._ctx = BuildContext(registry or REGISTRY, uploader)
        self._syncing = False
        self._fields: dict[str, FieldWidget] = {}
        self._extra_errors: list[dict[str, Any]] = []
        main_rows: list[w.Widget] = []
        self._advanced_specs: list[FieldSpec] = []
        for prop in spec.properties:
            if prop.required or prop.important or prop.hidden:
                field = self._build(prop)
                main_rows.append(field.widget)
            else:
                self._advanced_specs.append(prop)
        self._message = w.HTML(layout=w.Layout(display="none"))
        self._message.add_class("fw-error")
        self._message.add_class("fw-form-error")
        style = w.HTML(_CSS, layout=w.Layout(display="none"))
        style.add_class("fw-style")
        children: list[w.Widget] = [style, self._message, *main_rows]
        self._advanced_box: w.VBox | None = None
        self._advanced: w.Accordion | None = None
        if self._advanced_specs:
            self._advanced_box = w.VBox()
            self._advanced = w.Accordion(children=[self._advanced_box], selected_index=None)
            self._advanced.set_title(0, f"Advanced ({len(self._advanced_specs)})")
            self._advanced.add_class("fw-advanced")
            self._advanced.observe(self._opened, "selected_index")
            children.append(self._advanced)
        super().__init__(children=children)
        self.add_class("fw-form")
        if expand:
            self.open_advanced()
        self._syncing = True
        try:
            self.value = self._collect()
        finally:
            self._syncing = False

    # --- building -----------------------------------------------------------------------------
    def _build(self, prop: FieldSpec) -> FieldWidget:
        field = self._ctx.build(prop, prop.name)
        field.observe(self._field_changed)
        self._fields[prop.name] = field
        return field

    @property
    def advanced_built(self) -> bool:
        return (
            not self._advanced_specs
            or self._advanced_box is None
            or bool(self._advanced_box.children)
        )

    def _build_advanced(self) -> None:
        if self.advanced_built or self._advanced_box is None:
            return
        self._advanced_box.children = [self._build(p).widget for p in self._advanced_specs]

    def _opened(self, change: dict[str, Any]) -> None:
        if change["new"] is not None:
            try:
                self._build_advanced()
            except Exception as exc:
                self._show_message(f"could not build the advanced fields: {_message(exc)}")

    def open_advanced(self) -> None:
        """Build and expand the Advanced section."""
        self._build_advanced()
        if self._advanced is not None:
            self._advanced.selected_index = 0

    # --- value sync ---------------------------------------------------------------------------
    def _collect(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for prop in self.spec.properties:
            field = self._fields.get(prop.name)
            value = field.get() if field is not None else initial_value(prop)
            if value is not MISSING:
                out[prop.name] = value
        return out

    def _field_changed(self, _: FieldWidget) -> None:
        if self._syncing:
            return
        self._syncing = True
        try:
            self.value = self._collect()
        finally:
            self._syncing = False

    @traitlets.validate("value")
    def _value_set(self, proposal: Any) -> dict[str, Any]:
        """Setting `value` pushes it into the widgets; the trait keeps what they then hold.

        A validator (not an observer) so that re-setting an equal value after a rejected one still
        reaches the widgets and clears their marks.
        """
        if self._syncing:
            return dict(proposal.value)
        self._syncing = True
        try:
            self._apply(proposal.value or {})
            return self._collect()
        finally:
            self._syncing = False

    def _apply(self, value: Mapping[str, Any]) -> None:
        names = {p.name for p in self.spec.properties}
        self._extra_errors = [
            {"loc": [key], "msg": "Not a field of this form", "type": "extra_forbidden"}
            for key in value
            if key not in names
        ]
        if not self.advanced_built and any(
            value.get(p.name, MISSING) != initial_value(p) for p in self._advanced_specs
        ):
            self._build_advanced()
        for prop in self.spec.properties:
            field = self._fields.get(prop.name)
            if field is not None:
                field.assign(value[prop.name] if prop.name in value else field.initial())
        self._show_message(
            "; ".join(f"{e['loc'][0]}: {e['msg']}" for e in self._extra_errors) or None
        )

    # --- public API ---------------------------------------------------------------------------
    @property
    def fields(self) -> dict[str, FieldWidget]:
        """Top-level field widgets by name (builds the Advanced section if needed)."""
        self._build_advanced()
        return {p.name: self._fields[p.name] for p in self.spec.properties}

    @property
    def errors(self) -> list[dict[str, Any]]:
        """Current errors, pydantic-shaped, with `loc` paths from the root of the input."""
        out = list(self._extra_errors)
        for field in self._fields.values():
            out.extend(field.errors())
        return out

    def validate(self) -> list[dict[str, Any]]:
        """Check every built field and required fields that are empty; mark and return errors."""
        for field in self._fields.values():
            for sub in field.iter_fields():
                if sub._rejected is not None:
                    continue  # the control still shows the old value; keep saying why
                try:
                    sub.validate()
                except Exception as exc:
                    sub.set_error(_message(exc))
            for sub in field.iter_fields():  # required fields inside groups that are sent
                for child in sub.children().values() if isinstance(sub, ObjectField) else ():
                    spec = child.spec
                    if spec.required and not spec.has_default and child.get() is MISSING:
                        child.set_error(child.error or "Field required")
        value = self.value
        for prop in self.spec.properties:
            field = self._fields.get(prop.name)
            if prop.required and prop.name not in value and field is not None:
                field.set_error("Field required")
        return self.errors

    def reset(self) -> None:
        """Every field back to its default; errors cleared."""
        self._syncing = True
        try:
            for field in self._fields.values():
                field.reset()
                field.clear_errors()
            self._extra_errors = []
            self._show_message(None)
            self.value = self._collect()
        finally:
            self._syncing = False

    def fill_example(self) -> None:
        """Fill in the example input (each field's first example, else its default)."""
        if self._endpoint is not None and hasattr(self._endpoint, "example"):
            example = self._endpoint.example()
        else:
            example = example_of(self.spec)
        self.value = example

    @property
    def uploading(self) -> bool:
        """Whether a file upload started from this form is still running."""
        return bool(self._ctx.uploads)

    def wait_uploads(self, timeout: float = 60.0) -> None:
        """Block until running uploads finish and their URLs are in `value` (scripts, tests).

        Raises `TimeoutError` naming the files still uploading after `timeout` seconds.
        """
        wait_all(self._ctx.uploads, timeout)

    def model(self) -> Any:
        """The current value as a validated Pydantic instance; errors are marked, then raised."""
        cls = self.model_class()
        from pydantic import ValidationError

        try:
            return cls.model_validate(self.value)
        except ValidationError as exc:
            self.show_errors(exc)
            raise

    def model_class(self) -> Any:
        if self._model_cls is None:
            if self._endpoint is not None and hasattr(self._endpoint, "input_model"):
                self._model_cls = self._endpoint.input_model()
            else:
                from falwidgets.schema import model_from_spec

                self._model_cls = model_from_spec(self.spec)
        return self._model_cls

    def show_errors(self, errors: Any) -> list[dict[str, Any]]:
        """Mark fields from pydantic/422 errors (`loc` like ["body", "image_size", "width"]).

        Accepts a pydantic `ValidationError` (or its `.errors` / `.errors()`), the client's 422
        error (a `FalError` with an `errors` list), a `{"detail": [...]}` body or a list of error
        dicts (see `normalize_errors`). Errors whose location is not a field go to the form's
        message. Returns the errors that could not be placed on a field.
        """
        items = normalize_errors(errors)
        for field in self._fields.values():
            field.clear_errors()
        unplaced: list[dict[str, Any]] = []
        for err in items:
            loc = [p for p in (err.get("loc") or ()) if p != "body"]
            msg = str(err.get("msg") or err.get("message") or "invalid")
            if not loc or not self._place(loc, msg):
                unplaced.append(err)
        self._show_message(
            "; ".join(
                (".".join(map(str, e.get("loc") or ())) + ": " if e.get("loc") else "")
                + str(e.get("msg"))
                for e in unplaced
            )
            or None
        )
        return unplaced

    def _place(self, loc: list[Any], msg: str) -> bool:
        name = str(loc[0])
        if any(p.name == name for p in self._advanced_specs):
            self.open_advanced()  # built or not, a collapsed section would hide the message
        field = self._fields.get(name)
        if field is None:
            return False
        rest = list(loc[1:])
        while rest:
            try:
                sub = field.child_at(rest[0])
            except Exception:
                sub = None
            if sub is None:
                break
            if sub is field:  # the widget shows its parts itself (ImageSize width/height)
                msg = f"{rest[0]}: {msg}"
                rest.pop(0)
                break
            field = sub
            rest.pop(0)
        field.set_error(f"{'.'.join(map(str, rest))}: {msg}" if rest else msg)
        return True

    def _show_message(self, text: str | None) -> None:
        if text:
            self._message.value = f'<span style="color:#c62828">{html.escape(text)}</span>'
            self._message.layout.display = None
        else:
            self._message.value = ""
            self._message.layout.display = "none"

    def code(self, kind: str | None = None, *, base_url: str | None = None) -> str:
        """Python that submits the current value (key read from the environment, never embedded).

        `kind` is "falwidgets" or "fal_client"; by default both snippets are returned.
        `base_url` (a falwidgets server such as the app's local one) makes the snippets call
        that server instead of fal, so they run in a session without FAL_KEY.
        """
        return snippets(self.endpoint_id or "owner/endpoint", self.value, kind, base_url)

    def fallback_fields(self) -> list[str]:
        """Typed fields that got a generic JSON editor (should be none)."""
        out: list[str] = []
        for prop in self.spec.properties:
            out.extend(self._ctx.registry.fallbacks(prop, (prop.name,)))
        return out

    def __repr__(self) -> str:
        name = self.endpoint_id or self.spec.title or "input"
        return f"<Form {name}: {len(self.spec.properties)} fields>"


def example_of(spec: FieldSpec) -> dict[str, Any]:
    """An input assembled from each field's first example, else its default."""
    out: dict[str, Any] = {}
    for prop in spec.properties:
        if prop.examples:
            out[prop.name] = prop.examples[0]
        elif prop.has_default and prop.default is not None:
            out[prop.name] = prop.default
        elif prop.kind == "object" and prop.required and prop.properties:
            out[prop.name] = example_of(prop)
    return out


def form(
    source: Any,
    *,
    uploader: Uploader | None = None,
    registry: WidgetRegistry | None = None,
    expand: bool = False,
) -> Form:
    """Build a form from an endpoint id, a document (dict, path, URL), an `EndpointSchema`,
    a Pydantic model class or a root `FieldSpec`.

    `uploader(data, content_type, file_name) -> url` receives uploaded files (the runner passes
    the client's upload); by default they become data URIs. `expand=True` builds and opens the
    Advanced section at once (it is otherwise built on first open, which keeps forms fast).
    """
    from pydantic import BaseModel

    from falwidgets.schema import EndpointSchema, load_endpoint, spec_from_model

    if isinstance(source, FieldSpec):
        return Form(source, uploader=uploader, registry=registry, expand=expand)
    if isinstance(source, type) and issubclass(source, BaseModel):
        return Form(
            spec_from_model(source),
            endpoint_id=source.__name__,
            model_cls=source,
            uploader=uploader,
            registry=registry,
            expand=expand,
        )
    if isinstance(source, (str, os.PathLike, Mapping)):
        source = load_endpoint(source)
    if isinstance(source, EndpointSchema):
        if source.input is None:
            source.input_model()  # raises NoInputSchema with the reason
        assert source.input is not None
        return Form(
            source.input,
            endpoint_id=source.endpoint_id,
            endpoint=source,
            uploader=uploader,
            registry=registry,
            expand=expand,
        )
    raise TypeError(
        "form() needs an endpoint id, a schema document, an EndpointSchema, a Pydantic model "
        f"class or a FieldSpec, not {type(source).__name__}"
    )
