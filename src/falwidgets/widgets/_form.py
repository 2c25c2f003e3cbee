"""`Form`: a whole endpoint (or Pydantic model) as ONE anywidget with a JSON `value`.

The field tree goes to the browser once (`spec`, see `_spec_json`); the browser draws every control
itself (js/src/form), so the form renders the same in JupyterLab, Notebook 7, VS Code, Colab and
marimo (which shows no stock ipywidgets). Python stays the authority: each `value` change is checked
with the schema's `field_errors` (pydantic, the server's own messages) into `errors`; `.model()`
validates the whole input. Files arrive as binary custom messages and are uploaded off the kernel
thread through the `uploader` callable (the app passes the client's upload; by default a data URI).
"""

from __future__ import annotations

import copy
import itertools
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

import anywidget
import traitlets

from falwidgets import _static
from falwidgets.schema import MISSING, FieldSpec
from falwidgets.widgets._code import snippets
from falwidgets.widgets._errors import normalize_errors
from falwidgets.widgets._spec_json import Control, initial_value, spec_json
from falwidgets.widgets._upload import Upload, wait_all

Uploader = Callable[[bytes, str, str], str]
Error = dict[str, Any]
_ES_CONTROLS: list[tuple[Callable[[FieldSpec], bool], str, str]] = []


def register_control(predicate_or_type: Any, name: str, esm: str) -> None:
    """Draw matching fields with your own ES module (no Python widget, works in every host).

    `esm`'s default export is `(node, bind, ctx) => ({el, update, focus?})`: `node` is the field's
    JSON (see `_spec_json.node`), `bind.get()` / `bind.set(value)` read and write its value
    (`undefined` = not sent), `update()` redraws from `bind.get()`. `predicate_or_type` is what
    `register_widget` takes (a type, a kind/role/media/component name or a predicate).
    """
    from falwidgets.widgets._registry import as_predicate

    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"control name must be an identifier, got {name!r}")
    if not isinstance(esm, str) or "export default" not in esm:
        raise ValueError("esm must be an ES module with an `export default` factory")
    _ES_CONTROLS.insert(0, (as_predicate(predicate_or_type), name, esm))


def _user_controls() -> tuple[list[Control], dict[str, str], list[tuple[Any, Any]]]:
    """Rows for spec_json, the ES modules they use, and register_widget's (predicate, factory)."""
    from falwidgets.widgets._registry import REGISTRY

    rows = [Control(pred, name) for pred, name, _ in _ES_CONTROLS]
    modules = {name: esm for _, name, esm in _ES_CONTROLS}
    widgets = [(e.predicate, e.factory) for e in REGISTRY.entries()]
    rows.extend(Control(pred, "widget") for pred, _ in widgets)
    return rows, modules, widgets


def _refs(children: list[Any], _widget: Any) -> list[str]:
    return [f"anywidget:{child.model_id}" for child in children]


MAX_UPLOAD_BYTES = 512 * 1024 * 1024  # one file through the kernel's websocket; larger: paste a URL


def data_uri_uploader(data: bytes, content_type: str, file_name: str) -> str:
    """Inline a file as a data URI: works offline and with every fal endpoint that accepts them."""
    import base64

    del file_name
    mime = content_type or "application/octet-stream"
    return f"data:{mime};base64," + base64.b64encode(data).decode("ascii")


class FieldHandle:
    """A light handle on one top-level field: `value` (get/set), `error`, `reset()`."""

    def __init__(self, form: Form, spec: FieldSpec) -> None:
        self._form = form
        self.spec = spec
        self.name = spec.name

    @property
    def value(self) -> Any:
        return self._form.value.get(self.name, MISSING)

    @value.setter
    def value(self, new: Any) -> None:
        value = dict(self._form.value)
        if new is MISSING:
            value.pop(self.name, None)
        else:
            value[self.name] = new
        self._form.value = value

    @property
    def error(self) -> str | None:
        """The first message at or below this field, or None."""
        for err in self._form.errors:
            loc = list(err.get("loc") or ())
            if loc[:1] == [self.name]:
                rest = ".".join(map(str, loc[1:]))
                return f"{rest}: {err['msg']}" if rest else str(err["msg"])
        return None

    def reset(self) -> None:
        self.value = initial_value(self.spec)

    def __repr__(self) -> str:
        return f"<field {self.name}={self.value!r}>"


class Form(anywidget.AnyWidget):
    """A live form: `value` (JSON dict) follows the browser and setting it updates the browser.

    The prompt, files, image size, number of images and seed come first; the rest sits under
    "Additional settings", grouped by their `enable_x` switches when long.
    """

    _esm = traitlets.Unicode("").tag(sync=True)
    _css = traitlets.Unicode("").tag(sync=True)
    spec = traitlets.Dict().tag(sync=True)
    value = traitlets.Dict().tag(sync=True)
    errors: traitlets.List[Error] = traitlets.List().tag(sync=True)
    uploads = traitlets.Dict().tag(sync=True)  # key -> {name, state, error}: the browser's spinner
    # user widgets from register_widget, composed with anywidget 0.11 (`host.getWidget`)
    children: traitlets.List[Any] = traitlets.List().tag(sync=True, to_json=_refs)
    _controls = traitlets.Dict().tag(sync=True)  # ES-module controls: name -> source

    _bundle = "form"

    def __init__(
        self,
        field_spec: FieldSpec,
        *,
        endpoint_id: str | None = None,
        endpoint: Any = None,
        model_cls: Any = None,
        uploader: Uploader | None = None,
        controls: tuple[Control, ...] = (),
        **kwargs: Any,
    ) -> None:
        if field_spec.kind != "object":
            raise TypeError(f"a form needs an object schema, got {field_spec.kind!r}")
        self.field_spec = field_spec
        self.endpoint_id = endpoint_id or ""
        self._endpoint = endpoint
        self._model_cls = model_cls
        self.uploader: Uploader = uploader or data_uri_uploader
        self._pending: set[Upload] = set()
        self._seq = itertools.count(1)
        self._lock = threading.Lock()
        self._shown: list[
            Error
        ] = []  # errors from show_errors()/a 422, kept until the field changes
        self._props = {p.name: p for p in field_spec.properties}
        self._raw = False  # set values as they are (uploads, composed widgets)
        rows, modules, widgets = _user_controls()
        tree = spec_json(field_spec, (*controls, *rows))
        used = {n["control"] for n in _nodes(tree)}
        made = _compose(tree, field_spec, widgets) if "widget" in used else []
        self._bound = [(path, child) for path, child in made]
        super().__init__(
            children=[child for _, child in made],
            _esm=_static.bundle(self._bundle),
            _css=_static.bundle(self._bundle, "css"),
            spec=tree,
            value=self.initial(),
            _controls={k: v for k, v in modules.items() if k in used},
            **kwargs,
        )
        if "widget" in used:
            self._bind_children()
        self.on_msg(self._on_message)
        self.errors = self.check(self.value)

    def _bind_children(self) -> None:
        """Start each composed widget at its field's value and keep both in step."""
        for path, child in self._bound:
            current = _get_at(self.value, path)
            if current is not MISSING:
                child.value = current
            child.observe(lambda ch, path=path: self._child_changed(path, ch["new"]), "value")

    def _child_changed(self, path: list[Any], new: Any) -> None:
        if _get_at(self.value, path) == new:
            return
        self._raw = True
        try:
            self.value = set_at(self.value, path, new)
        finally:
            self._raw = False

    # --- values -----------------------------------------------------------------------------
    def initial(self) -> dict[str, Any]:
        """The value of a fresh form: every field's default (fields without one are not sent)."""
        out: dict[str, Any] = {}
        for prop in self.field_spec.properties:
            val = initial_value(prop)
            if val is not MISSING:
                out[prop.name] = copy.deepcopy(val)
        return out

    @traitlets.validate("value")
    def _value_ok(self, proposal: Any) -> dict[str, Any]:
        """A value set in Python is completed like the old forms did: fields it leaves out go
        back to their defaults, keys that are not fields are dropped and reported. What the
        browser sends is taken as it is (a switched-off optional field is absent on purpose)."""
        value = proposal["value"]
        if not isinstance(value, Mapping):
            raise traitlets.TraitError(f"form value must be a dict, not {type(value).__name__}")
        if self._raw or "value" in getattr(self, "_property_lock", {}):
            self._extra = []
            return dict(value)
        self._extra = [
            {"loc": [key], "msg": "Not a field of this form", "type": "extra_forbidden"}
            for key in value
            if key not in self._props
        ]
        out: dict[str, Any] = {}
        for prop in self.field_spec.properties:
            val = value[prop.name] if prop.name in value else initial_value(prop)
            if val is not MISSING:
                out[prop.name] = copy.deepcopy(val)
        return out

    @traitlets.observe("value")
    def _value_changed(self, change: dict[str, Any]) -> None:
        old, new = change["old"] or {}, change["new"] or {}
        changed = {k for k in set(old) | set(new) if old.get(k, MISSING) != new.get(k, MISSING)}
        self._shown = [e for e in self._shown if str((e.get("loc") or [""])[0]) not in changed]
        self.errors = self.check(new)
        for path, child in self._bound:
            current = _get_at(new, path)
            if current is not MISSING and child.value != current:
                child.value = current

    def check(self, value: Mapping[str, Any], *, required: bool = False) -> list[Error]:
        """Errors of `value` field by field (`loc` from the root, no "body"), plus shown ones.

        `required=True` also reports required fields that are empty (Run does; typing does not,
        so a fresh form is not covered in red).
        """
        from falwidgets.schema import field_errors

        out: list[Error] = list(self._extra)
        for key in value:
            if key not in self._props:
                out.append(
                    {"loc": [key], "msg": "Not a field of this form", "type": "extra_forbidden"}
                )
        for prop in self.field_spec.properties:
            if prop.name in value:
                try:
                    found = field_errors(prop, value[prop.name])
                except Exception as exc:  # a validator bug must not break the form
                    found = [
                        {"loc": (prop.name,), "msg": f"could not check: {exc}", "type": "error"}
                    ]
                out.extend(
                    _collapse_unions(
                        prop,
                        [
                            {
                                "loc": list(e["loc"]),
                                "msg": str(e["msg"]),
                                "type": str(e.get("type", "")),
                            }
                            for e in found
                            # an empty required part of a nested object (a file's url) waits for
                            # Run too
                            if required or e.get("type") != "missing"
                        ],
                    )
                )
                if prop.role == "json" and isinstance(value[prop.name], str):
                    out.extend(_json_errors(prop.name, value[prop.name]))
            elif required and prop.required and not prop.has_default:
                out.append({"loc": [prop.name], "msg": "Field required", "type": "missing"})
        seen = {_key(e) for e in out}
        out.extend(e for e in self._shown if _key(e) not in seen)
        return out

    def validate(self) -> list[Error]:
        """Check everything (required fields included), mark the fields and return the errors."""
        self.errors = self.check(self.value, required=True)
        if self.errors:
            self.send({"type": "focus_error"})
        return list(self.errors)

    # --- public API -------------------------------------------------------------------------
    @property
    def fields(self) -> dict[str, FieldHandle]:
        return {p.name: FieldHandle(self, p) for p in self.field_spec.properties}

    def reset(self) -> None:
        """Every field back to its default; errors cleared."""
        self._shown = []
        self._extra = []
        self.value = self.initial()
        self.errors = self.check(self.value)

    def fill_example(self) -> None:
        """Fill in the example input (each field's first example, else its default)."""
        if self._endpoint is not None and hasattr(self._endpoint, "example"):
            example = self._endpoint.example()
        else:
            example = example_of(self.field_spec)
        self._shown = []
        self.value = example

    def model_class(self) -> Any:
        if self._model_cls is None:
            if self._endpoint is not None and hasattr(self._endpoint, "input_model"):
                self._model_cls = self._endpoint.input_model()
            else:
                from falwidgets.schema import model_from_spec

                self._model_cls = model_from_spec(self.field_spec)
        return self._model_cls

    def model(self) -> Any:
        """The current value as a validated Pydantic instance; errors are marked, then raised."""
        from pydantic import ValidationError

        try:
            return self.model_class().model_validate(self.value)
        except ValidationError as exc:
            self.show_errors(exc)
            raise

    def show_errors(self, errors: Any) -> list[Error]:
        """Mark fields from pydantic/422 errors (`loc` like ["body", "image_size", "width"]).

        Accepts a pydantic `ValidationError`, its `.errors()` list, a `{"detail": [...]}` body or
        a `FalError` with `.errors`. The first marked field is opened and focused in the browser.
        Returns the errors that are not about a field of this form (shown above the form).
        """
        items = normalize_errors(errors)  # every error shape, one rule (widgets/_errors)
        shown: list[Error] = []
        unplaced: list[Error] = []
        for err in items:
            loc = [p for p in (err.get("loc") or ()) if p != "body"]
            msg = str(err.get("msg") or err.get("message") or "invalid")
            if loc and str(loc[0]) in self._props:
                shown.append({"loc": loc, "msg": msg, "type": str(err.get("type", ""))})
            else:
                unplaced.append({**err, "loc": loc})
                where = f"{'.'.join(map(str, loc))}: " if loc else ""
                shown.append({"loc": [], "msg": where + msg, "type": str(err.get("type", ""))})
        self._shown = shown
        self.errors = self.check(self.value)
        if shown:
            self.send({"type": "focus_error"})
        return unplaced

    def code(self, kind: str | None = None, *, base_url: str | None = None) -> str:
        """Code that submits the current value (key read from the environment, never embedded).

        `kind`: "falwidgets", "fal_client", "javascript" or "curl"; by default the two Python ones.
        """
        return snippets(self.endpoint_id or "owner/endpoint", self.value, kind, base_url)

    # --- uploads ----------------------------------------------------------------------------
    @property
    def uploading(self) -> bool:
        """Whether a file upload started from this form is still running."""
        return bool(self._pending)

    def wait_uploads(self, timeout: float = 60.0) -> None:
        """Block until running uploads finish and their URLs are in `value` (scripts, tests)."""
        wait_all(self._pending, timeout)

    def upload(self, path: list[Any], data: bytes, content_type: str, file_name: str) -> Upload:
        """Upload one file for the field at `path` (what a drop in the browser does)."""
        if len(data) > MAX_UPLOAD_BYTES:
            raise ValueError(f"{file_name} is larger than {MAX_UPLOAD_BYTES >> 20} MB: paste a URL")
        if not path or str(path[0]) not in self._props:
            raise ValueError(f"no field at {path!r} in this form")
        key = ".".join(map(str, path))
        job = Upload(
            _Landing(self, list(path), key),
            [(data, content_type, file_name)],
            next(self._seq),
            self._pending,
        )
        self.uploads = {**self.uploads, key: {"name": file_name, "state": "uploading"}}
        job.start(self.uploader)
        return job

    def _on_message(self, _widget: Any, content: Any, buffers: list[Any]) -> None:
        if not isinstance(content, dict):
            return
        kind = content.get("type")
        if kind == "upload":
            path = content.get("path") or []
            name = str(content.get("name") or "upload.bin")[:200]
            try:
                if not buffers:
                    raise ValueError("the file arrived without its bytes")
                self.upload(path, bytes(buffers[0]), str(content.get("mime") or ""), name)
            except Exception as exc:
                key = ".".join(map(str, path))
                self.uploads = {
                    **self.uploads,
                    key: {"name": name, "state": "failed", "error": str(exc)},
                }
        else:
            self.handle_message(content, buffers)

    def handle_message(self, content: dict[str, Any], buffers: list[Any]) -> None:
        """Messages the form does not know (the App adds run/cancel)."""

    def fallback_fields(self) -> list[str]:
        """Paths of typed fields drawn as a generic JSON box (no real control): what
        `falwidgets schema check` reports, so a schema pattern without a control is noticed."""
        return [
            ".".join(map(str, n["path"]))
            for n in _nodes(self.spec)
            if n["control"] == "json" and n["kind"] not in ("any", "object")
        ]

    def __repr__(self) -> str:
        name = self.endpoint_id or self.field_spec.title or "input"
        return f"<Form {name}: {len(self.field_spec.properties)} fields>"


class _Landing:
    """Where a finished upload goes: its URL into the value at its path, its state to the page."""

    def __init__(self, form: Form, path: list[Any], key: str) -> None:
        self.form, self.path, self.key = form, path, key

    def upload_finished(self, job: Upload) -> None:
        form = self.form
        uploads = dict(form.uploads)
        if job.error is not None:
            uploads[self.key] = {"name": job.names[0], "state": "failed", "error": job.error}
            form.uploads = uploads
            return
        uploads.pop(self.key, None)
        form._raw = True
        try:
            form.value = set_at(form.value, self.path, job.urls[0])
        finally:
            form._raw = False
        form.uploads = uploads


def set_at(value: Mapping[str, Any], path: list[Any], new: Any) -> dict[str, Any]:
    """A copy of `value` with `new` at `path` (dict keys and list indexes; lists grow by one)."""
    root: Any = copy.deepcopy(dict(value))
    node = root
    for i, key in enumerate(path):
        last = i == len(path) - 1
        nxt: Any = new if last else ([] if isinstance(path[i + 1], int) else {})
        if isinstance(node, list) and isinstance(key, int):
            if key >= len(node):
                node.append(nxt)
                key = len(node) - 1
            elif last:
                node[key] = new
            node = node[key]
        else:
            if last:
                node[key] = new
            else:
                if not isinstance(node.get(key), (dict, list)):
                    node[key] = nxt
                node = node[key]
    return root


def _compose(
    tree: dict[str, Any], spec: FieldSpec, widgets: list[Any]
) -> list[tuple[list[Any], Any]]:
    """The user's widget for each "widget" node (its index written into the node)."""
    out: list[tuple[list[Any], Any]] = []
    for node in _nodes(tree):
        if node["control"] != "widget":
            continue
        field = _spec_at(spec, node["path"])
        factory = next(f for pred, f in widgets if pred(field))
        made = factory(field) if _arity(factory) < 2 else factory(field, None)
        if not made.has_trait("value"):
            raise TypeError(f"the widget for {field.name!r} has no `value` trait")
        node["widget"] = len(out)
        out.append((list(node["path"]), made))
    return out


def _nodes(tree: dict[str, Any]) -> list[dict[str, Any]]:
    """The JSON nodes reachable through object properties (where user controls apply)."""
    out = [tree]
    for child in tree.get("properties", ()):
        out.extend(_nodes(child))
    return out


def _spec_at(spec: FieldSpec, path: list[Any]) -> FieldSpec:
    for key in path:
        spec = spec.child(str(key))
    return spec


def _get_at(value: Any, path: list[Any]) -> Any:
    for key in path:
        if (isinstance(value, Mapping) and key in value) or (
            isinstance(value, list) and isinstance(key, int) and key < len(value)
        ):
            value = value[key]
        else:
            return MISSING
    return value


def _arity(factory: Any) -> int:
    import inspect

    try:
        params = inspect.signature(factory).parameters.values()
    except (TypeError, ValueError):
        return 1
    kinds = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    if any(p.kind == inspect.Parameter.VAR_POSITIONAL for p in params):
        return 2
    return len([p for p in params if p.kind in kinds])


def _collapse_unions(prop: FieldSpec, errors: list[Error]) -> list[Error]:
    """One error per union field, at the union's own `loc`: pydantic reports a failed union once
    per branch, under branch tags ("ImageSize", "literal[...]") no field is named after. The
    message of the deepest branch is kept ("width: Input should be greater than 0")."""
    best: dict[tuple[str, ...], tuple[int, Error]] = {}
    out: list[Error] = []
    for err in errors:
        loc = list(err["loc"])
        spec, i = prop, 1
        while i < len(loc):
            if spec.kind == "union":
                rest = [str(x) for x in loc[i + 1 :]]
                msg = (".".join(rest) + ": " if rest else "") + str(err["msg"])
                err = {**err, "loc": loc[:i], "msg": msg}
                key = tuple(map(str, loc[:i]))
                if key not in best or len(rest) > best[key][0]:
                    best[key] = (len(rest), err)
                break
            if spec.kind == "object":
                found = next((p for p in spec.properties if p.name == str(loc[i])), None)
                if found is None:
                    out.append(err)
                    break
                spec = found
            elif spec.kind == "array" and spec.items is not None:
                spec = spec.items
            else:
                out.append(err)
                break
            i += 1
        else:
            out.append(err)
    return out + [err for _, err in best.values()]


def _json_errors(name: str, text: str) -> list[Error]:
    """A JSON-in-a-string field (role "json") must hold JSON: the server parses it (strictly:
    NaN and Infinity, which `json.loads` takes, are not JSON and the server refuses them)."""
    from falwidgets.widgets._validate import loads_json

    try:
        loads_json(text)
    except ValueError as exc:
        return [{"loc": [name], "msg": f"Invalid JSON: {exc}", "type": "json_invalid"}]
    return []


def _key(err: Error) -> tuple[str, str]:
    return ".".join(map(str, err.get("loc") or ())), str(err.get("msg"))


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


def form_parts(source: Any) -> dict[str, Any]:
    """What a form is built from: `field_spec`, `endpoint_id`, `endpoint`, `model_cls`, for an
    endpoint id, a document (dict, path, URL), an `EndpointSchema`, a Pydantic model class or a
    root `FieldSpec`."""
    from pydantic import BaseModel

    from falwidgets.schema import EndpointSchema, load_endpoint, spec_from_model

    if isinstance(source, FieldSpec):
        return {"field_spec": source}
    if isinstance(source, type) and issubclass(source, BaseModel):
        return {
            "field_spec": spec_from_model(source),
            "endpoint_id": source.__name__,
            "model_cls": source,
        }
    if isinstance(source, (str, os.PathLike, Mapping)):
        source = load_endpoint(source)
    if isinstance(source, EndpointSchema):
        if source.input is None:
            source.input_model()  # raises NoInputSchema with the reason
        assert source.input is not None
        return {"field_spec": source.input, "endpoint_id": source.endpoint_id, "endpoint": source}
    raise TypeError(
        "form() needs an endpoint id, a schema document, an EndpointSchema, a Pydantic model "
        f"class or a FieldSpec, not {type(source).__name__}"
    )


def form(source: Any, *, uploader: Uploader | None = None, **kwargs: Any) -> Form:
    """Build a form from anything `form_parts` accepts. `uploader(data, content_type, file_name)
    -> url` receives dropped files (the app passes the client's upload); by default data URIs."""
    parts = form_parts(source)
    spec = parts.pop("field_spec")
    return Form(spec, uploader=uploader, **parts, **kwargs)
