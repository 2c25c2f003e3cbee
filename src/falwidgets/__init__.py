"""falwidgets: fal.ai endpoint schemas (or Pydantic models) as live ipywidgets forms.

Layers, lowest first; a layer never imports one above it:

- ``schema``  JSON Schema / Pydantic -> ``FieldSpec`` trees and Pydantic models (no HTTP)
- ``client``  fal's queue protocol over httpx, sync and async, with a request journal (no widgets)
- ``server``  a fal-compatible queue server with demo endpoints (uses ``schema``)
- ``widgets`` forms built from ``FieldSpec`` through an extensible type -> widget registry
- ``previews`` result -> preview registry (images, video, audio, GLB, boxes, JSON)
- ``runner``  the runner: form + Run/Cancel + logs + previews, history and sweeps
- ``proxy``   a key-holding workshop proxy

Public names are imported lazily so that ``falwidgets serve`` or the client never pay for
ipywidgets, and a plain ``import falwidgets`` stays cheap.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

__version__ = "0.1.0"

# public name -> module that defines it (re-exported lazily, PEP 562)
_EXPORTS: dict[str, str] = {
    # client
    "Client": "falwidgets.client",
    "AsyncClient": "falwidgets.client",
    "AmbiguousSubmit": "falwidgets.client",
    "RequestRecord": "falwidgets.client",
    "Handle": "falwidgets.client",
    "AsyncHandle": "falwidgets.client",
    "Status": "falwidgets.client",
    "Queued": "falwidgets.client",
    "InProgress": "falwidgets.client",
    "Completed": "falwidgets.client",
    "FalError": "falwidgets.client",
    "MissingCredentials": "falwidgets.client",
    "AuthError": "falwidgets.client",
    "InputRejected": "falwidgets.client",
    "RetryPolicy": "falwidgets.client",
    "RateLimited": "falwidgets.client",
    "ServerError": "falwidgets.client",
    "RequestFailed": "falwidgets.client",
    "NotFound": "falwidgets.client",
    "Cancelled": "falwidgets.client",
    "DeadlineExceeded": "falwidgets.client",
    "data_uri": "falwidgets.client",
    "journal": "falwidgets.client",
    "JournalEntry": "falwidgets.client",
    "mark_journal": "falwidgets.client",
    "Realtime": "falwidgets.client",
    "AsyncRealtime": "falwidgets.client",
    "RealtimeFrame": "falwidgets.client",
    "RealtimeError": "falwidgets.client",
    # server
    "serve": "falwidgets.server",
    "Server": "falwidgets.server",
    # schema
    "FieldSpec": "falwidgets.schema",
    "MISSING": "falwidgets.schema",
    "EndpointSchema": "falwidgets.schema",
    "load_endpoint": "falwidgets.schema",
    "NoInputSchema": "falwidgets.schema",
    "UnknownEndpoint": "falwidgets.schema",
    "spec_from_model": "falwidgets.schema",
    "spec_from_json_schema": "falwidgets.schema",
    "model_from_spec": "falwidgets.schema",
    "field_errors": "falwidgets.schema",
    # widgets
    "form": "falwidgets.widgets",
    "Form": "falwidgets.widgets",
    "register_widget": "falwidgets.widgets",
    # previews
    "preview": "falwidgets.previews",
    "register_preview": "falwidgets.previews",
    "GLBViewer": "falwidgets.previews",
    # runner
    "app": "falwidgets.runner",
    "App": "falwidgets.runner",
    "history": "falwidgets.runner",
    "sweep": "falwidgets.runner",
    "History": "falwidgets.runner",
    "Sweep": "falwidgets.runner",
    "live": "falwidgets.runner",
    "LivePanel": "falwidgets.runner",
    "browse": "falwidgets.runner",
    "compare": "falwidgets.runner",
    "use_in": "falwidgets.runner",
    "price_line": "falwidgets.runner",
    "estimate_for": "falwidgets.runner",
}

__all__ = sorted([*_EXPORTS, "__version__"])


def __getattr__(name: str) -> Any:
    module = _EXPORTS.get(name)
    if module is None:
        raise AttributeError(f"module 'falwidgets' has no attribute {name!r}")
    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return __all__


if TYPE_CHECKING:  # pragma: no cover - for type checkers and IDEs; a test keeps it == _EXPORTS
    from falwidgets.client import (
        AmbiguousSubmit,
        AsyncClient,
        AsyncHandle,
        AsyncRealtime,
        AuthError,
        Cancelled,
        Client,
        Completed,
        DeadlineExceeded,
        FalError,
        Handle,
        InProgress,
        InputRejected,
        JournalEntry,
        MissingCredentials,
        NotFound,
        Queued,
        RateLimited,
        Realtime,
        RealtimeError,
        RealtimeFrame,
        RequestFailed,
        RequestRecord,
        RetryPolicy,
        ServerError,
        Status,
        data_uri,
        journal,
        mark_journal,
    )
    from falwidgets.previews import GLBViewer, preview, register_preview
    from falwidgets.runner import (
        App,
        History,
        LivePanel,
        Sweep,
        app,
        browse,
        compare,
        estimate_for,
        history,
        live,
        price_line,
        sweep,
        use_in,
    )
    from falwidgets.schema import (
        MISSING,
        EndpointSchema,
        FieldSpec,
        NoInputSchema,
        UnknownEndpoint,
        field_errors,
        load_endpoint,
        model_from_spec,
        spec_from_json_schema,
        spec_from_model,
    )
    from falwidgets.server import Server, serve
    from falwidgets.widgets import Form, form, register_widget
