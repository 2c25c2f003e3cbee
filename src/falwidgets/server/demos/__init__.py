"""Demo endpoints with real fal schemas that make real media (images, video, audio, GLB, boxes).

Importing the modules registers the endpoints; `load_demos()` does it once, lazily, because the
models are built from the bundled fal documents.
"""

from __future__ import annotations

import importlib
import json
import threading
from functools import cache
from pathlib import Path
from typing import Any

from pydantic import BaseModel

from falwidgets.schema import load_endpoint

SCHEMAS = Path(__file__).with_name("schemas")
_MODULES = ("images", "video", "audio", "mesh", "detect", "realtime")
_LOCK = threading.Lock()
_loaded = False


def load_demos() -> None:
    """Register every demo endpoint (idempotent)."""
    global _loaded
    with _LOCK:
        if _loaded:
            return
        for name in _MODULES:
            importlib.import_module(f"falwidgets.server.demos.{name}")
        _loaded = True


@cache
def document(endpoint_id: str) -> dict[str, Any]:
    """The bundled fal OpenAPI document of a demo endpoint."""
    return json.loads((SCHEMAS / f"{endpoint_id.replace('/', '__')}.json").read_text())


def models(endpoint_id: str) -> tuple[type[BaseModel], type[BaseModel] | None]:
    """Input and output models of a demo, built by the schema layer from its bundled document."""
    schema = load_endpoint(document(endpoint_id))
    return schema.input_model(), schema.output_model()


def as_dict(inp: Any) -> dict[str, Any]:
    """Validated input as plain JSON (defaults filled in), whatever model built it."""
    if isinstance(inp, BaseModel):
        return inp.model_dump(mode="json", by_alias=True)
    return dict(inp)
