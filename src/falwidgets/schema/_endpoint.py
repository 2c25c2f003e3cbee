"""`EndpointSchema` and `load_endpoint`: one fal endpoint's Input/Output as specs and models.

Loading is cached per document (by a digest of the content for dicts, by path and mtime for files,
by id for the bundled catalog) because forms, the server and the CLI all ask for the same endpoint
repeatedly. A dict is keyed on what it holds, not on its identity: a notebook user who edits a
schema dict in place and builds the form again must get the edited form. Each kind of source has
its own bound, so documents passed as dicts (each with its Pydantic models) are not kept alive by
the thousand.
"""

from __future__ import annotations

import copy
import hashlib
import json
import os
import threading
from collections import OrderedDict
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from falwidgets.schema._convert import Converter
from falwidgets.schema._document import endpoint_id_of, locate
from falwidgets.schema._examples import first_valid
from falwidgets.schema._field import FieldSpec
from falwidgets.schema._model import ModelBuilder, json_ready
from falwidgets.schema._refs import Resolver


class NoInputSchema(LookupError):
    """The document declares no usable Input schema (e.g. fal's OpenAI pass-through endpoints)."""

    def __init__(self, endpoint_id: str, reason: str) -> None:
        self.endpoint_id = endpoint_id
        self.reason = reason
        super().__init__(f"no input schema for {endpoint_id or 'this document'}: {reason}")


def _collect_warnings(spec: FieldSpec | None, prefix: str) -> list[str]:
    out: list[str] = []
    if spec is None:
        return out

    def walk(node: FieldSpec, path: str) -> None:
        out.extend(f"{path or '<root>'}: {w}" for w in node.warnings)
        for prop in node.properties:
            walk(prop, f"{path}.{prop.name}" if path else prop.name)
        if node.items is not None:
            walk(node.items, f"{path}[]")
        for i, variant in enumerate(node.variants):
            walk(variant, f"{path}<{i}>")

    walk(spec, "")
    return [f"{prefix}{w}" for w in out]


class EndpointSchema:
    """An endpoint's Input and Output as `FieldSpec` trees, with lazily built Pydantic models."""

    def __init__(
        self,
        document: Mapping[str, Any],
        *,
        endpoint_id: str | None = None,
    ) -> None:
        self.document = document
        self.endpoint_id = endpoint_id or endpoint_id_of(document)
        input_node, output_node, warnings = locate(document)
        schemas = (document.get("components") or {}).get("schemas")
        converter = Converter(Resolver(document, schemas if isinstance(schemas, Mapping) else None))
        self._no_input: str | None = None
        self.input: FieldSpec | None = None
        if input_node is None:
            self._no_input = warnings[0] if warnings else "no input schema in document"
        else:
            _, _, broken = converter.resolver.resolve(input_node)
            if broken:
                self._no_input = f"Input schema {broken}"
            else:
                self.input = converter.convert(input_node, "", required=True)
                if self.input.kind != "object":
                    self._no_input = f"Input schema is {self.input.kind!r}, not an object"
                    self.input = None
        if self._no_input:
            warnings.append(f"no input schema: {self._no_input}")
        self.output: FieldSpec | None = None
        if output_node is not None:
            self.output = converter.convert(output_node, "", required=True)
        self.warnings: tuple[str, ...] = (
            *warnings,
            *_collect_warnings(self.input, "input."),
            *_collect_warnings(self.output, "output."),
        )
        self._lock = threading.Lock()
        self._models: dict[str, type[BaseModel]] = {}
        self._defaults: dict[str, Any] | None = None
        self._example: dict[str, Any] | None = None

    def __repr__(self) -> str:
        fields = len(self.input.properties) if self.input else 0
        return f"<EndpointSchema {self.endpoint_id!r}: {fields} input fields>"

    def _model(self, which: str, spec: FieldSpec | None) -> type[BaseModel]:
        with self._lock:
            model = self._models.get(which)
            if model is None:
                if spec is None or spec.kind != "object":
                    spec = FieldSpec(name=which, kind="object", additional_properties=True)
                base = "".join(
                    p.capitalize() for p in self.endpoint_id.replace("-", "/").split("/")
                )
                model = ModelBuilder().model(spec, f"{base or 'Endpoint'}{which.capitalize()}")
                self._models[which] = model
            return model

    def input_model(self) -> type[BaseModel]:
        """The Pydantic model of the Input (cached); `NoInputSchema` if the document has none."""
        if self.input is None:
            raise NoInputSchema(self.endpoint_id, self._no_input or "missing")
        return self._model("input", self.input)

    def output_model(self) -> type[BaseModel]:
        """The Pydantic model of the Output (cached); a free-form object when none is declared."""
        return self._model("output", self.output)

    def _require_input(self) -> FieldSpec:
        if self.input is None:
            raise NoInputSchema(self.endpoint_id, self._no_input or "missing")
        return self.input

    def _failing(self, value: dict[str, Any]) -> set[str]:
        """Top-level names of `value` the input model rejects."""
        try:
            self.input_model().model_validate(value)
        except ValidationError as exc:
            return {str(e["loc"][0]) for e in exc.errors() if e["loc"] and e["loc"][0] in value}
        return set()

    def defaults(self) -> dict[str, Any]:
        """Every top-level input field whose default is valid, as JSON data (a fresh dict)."""
        spec = self._require_input()
        if self._defaults is None:
            self._defaults = json_ready(first_valid(spec, self._failing, use_examples=False))
        return copy.deepcopy(self._defaults)

    def example(self) -> dict[str, Any]:
        """An input from each field's first example, else its default, that validates (fresh dict).

        Examples are adapted to the declared shape (one URL for a list of URLs, a URL for a File);
        required fields with neither get the simplest valid value.
        """
        spec = self._require_input()
        if self._example is None:
            self._example = json_ready(first_valid(spec, self._failing))
        return copy.deepcopy(self._example)


# -- loading ---------------------------------------------------------------------------------

# entries kept per kind of source, least recently used dropped first (the catalog has 1,340 ids)
_CACHE_LIMITS: dict[str, int] = {"id": 2048, "url": 256, "path": 256, "dict": 64}
_caches: dict[str, OrderedDict[Any, EndpointSchema]] = {k: OrderedDict() for k in _CACHE_LIMITS}
_cache_lock = threading.Lock()


def _cached(kind: str, key: Any, build: Callable[[], EndpointSchema]) -> EndpointSchema:
    cache = _caches[kind]
    with _cache_lock:
        hit = cache.get(key)
        if hit is not None:
            cache.move_to_end(key)
            return hit
    schema = build()
    with _cache_lock:
        cache[key] = schema
        while len(cache) > _CACHE_LIMITS[kind]:
            cache.popitem(last=False)
    return schema


def _digest(doc: Mapping[str, Any]) -> str:
    """sha256 of the document's JSON text. Key order is kept: it is the form's field order."""
    text = json.dumps(doc, separators=(",", ":"), ensure_ascii=False, default=repr)
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _unwrap(doc: Mapping[str, Any]) -> Mapping[str, Any]:
    """Accept fal's models-API entries (`{"endpoint_id", "openapi": {...}}`) as well."""
    inner = doc.get("openapi")
    return inner if isinstance(inner, Mapping) else doc


def _from_path(path: Path) -> EndpointSchema:
    stat = path.stat()
    key = (str(path.resolve()), stat.st_mtime_ns, stat.st_size)

    def build() -> EndpointSchema:
        try:
            doc = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValueError(f"{path}: not a JSON document ({exc})") from None
        if not isinstance(doc, Mapping):
            raise ValueError(f"{path}: expected a JSON object, got {type(doc).__name__}")
        return EndpointSchema(_unwrap(doc))

    return _cached("path", key, build)


def load_endpoint(
    source: Mapping[str, Any] | str | os.PathLike[str],
    *,
    fetch: Callable[[str], bytes] | None = None,
    refresh: bool = False,
) -> EndpointSchema:
    """An endpoint's schema from a document dict, a JSON file, a fal OpenAPI URL or an endpoint id.

    Endpoint ids are looked up in the bundled catalog (offline). URLs are fetched with `fetch`
    (default: stdlib urllib with a deadline) and cached on disk; `refresh=True` fetches again.
    Results are cached per document (a dict by its content, so an edited dict loads afresh).
    """
    if isinstance(source, EndpointSchema):
        return source
    if isinstance(source, Mapping):
        # a private copy: the cached schema must not change when the caller edits the dict later
        doc = source
        return _cached("dict", _digest(doc), lambda: EndpointSchema(_unwrap(copy.deepcopy(doc))))
    if isinstance(source, os.PathLike):
        return _from_path(Path(source))
    if not isinstance(source, str):
        raise TypeError(
            f"load_endpoint() takes a dict, a path, a URL or an endpoint id, "
            f"not {type(source).__name__}"
        )
    if source.startswith(("https://", "http://")):
        from falwidgets.schema._catalog import load_url

        if refresh:
            with _cache_lock:
                _caches["url"].pop(source, None)
        return _cached(
            "url",
            source,
            lambda: EndpointSchema(_unwrap(load_url(source, fetch=fetch, refresh=refresh))),
        )
    path = Path(source).expanduser()
    if source.endswith(".json") or (os.sep in source and path.exists()):
        if not path.is_file():
            raise FileNotFoundError(f"no schema file at {source}")
        return _from_path(path)
    from falwidgets.schema._catalog import catalog_document

    return _cached(
        "id", source, lambda: EndpointSchema(catalog_document(source), endpoint_id=source)
    )
