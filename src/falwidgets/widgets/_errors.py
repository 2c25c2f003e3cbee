"""One reading of "errors to show on a form", whatever shape they come in.

A form is told about bad input from three places: pydantic (``Form.model()`` raises its
``ValidationError``, whose ``.errors`` is a *method*), the server (a 422 raised by the client as a
``FalError`` whose ``.errors`` is a *list*), and plain data (a 422 body's ``detail`` list, or a
list of ``{loc, msg}`` dicts). Every front end (the ipywidgets form and its successors) marks
fields from the list this module returns, so the shapes are told apart here and nowhere else.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

__all__ = ["normalize_errors"]


def _pydantic_errors(obj: Any) -> list[dict[str, Any]] | None:
    """The errors of a pydantic ``ValidationError`` or of its bound ``.errors`` method."""
    from pydantic import ValidationError

    if isinstance(obj, ValidationError):
        return [dict(e) for e in obj.errors(include_url=False)]
    owner = getattr(obj, "__self__", None)  # `form.show_errors(err.errors)`, a bound method
    if isinstance(owner, ValidationError) and getattr(obj, "__name__", "") == "errors":
        return [dict(e) for e in owner.errors(include_url=False)]
    return None


def _fal_errors(obj: Any) -> list[Any] | None:
    """The ``errors`` list of a client error (the server's 422), else None."""
    if not isinstance(obj, BaseException):
        return None
    from falwidgets.client import FalError

    errors = getattr(obj, "errors", None) if isinstance(obj, FalError) else None
    return errors if isinstance(errors, list) else None


def _item(error: Any) -> dict[str, Any]:
    if not isinstance(error, Mapping):
        return {"loc": [], "msg": str(error)}
    item = dict(error)
    loc = item.get("loc")
    item["loc"] = [loc] if isinstance(loc, (str, int)) else list(loc or ())
    item["msg"] = str(item.get("msg") or item.get("message") or "invalid")
    return item


def normalize_errors(obj: Any) -> list[dict[str, Any]]:
    """``obj`` as a list of ``{"loc": [...], "msg": str, ...}`` dicts (other keys kept).

    Accepts a pydantic ``ValidationError`` (or its ``.errors`` method, or the list it returns), a
    client ``FalError`` carrying an ``errors`` list (a 422), a 422 body ``{"detail": [...]}``, a
    list of error dicts, one error dict, or a message string. ``None`` and ``[]`` mean no errors.
    ``loc`` is kept as given (a leading ``"body"`` included): placing is the form's job.
    """
    if obj is None:
        return []
    found = _pydantic_errors(obj)
    if found is not None:
        return [_item(e) for e in found]
    listed = _fal_errors(obj)
    if listed is not None:
        return [_item(e) for e in listed]
    if isinstance(obj, BaseException):
        return [{"loc": [], "msg": str(obj)}]
    if isinstance(obj, str):
        return [{"loc": [], "msg": obj}]
    if isinstance(obj, Mapping):
        detail = obj.get("detail")
        if isinstance(detail, list):
            return [_item(e) for e in detail]
        if isinstance(detail, str) and "loc" not in obj:
            return [{"loc": [], "msg": detail}]
        return [_item(obj)]
    if isinstance(obj, Iterable):
        return [_item(e) for e in obj]
    raise TypeError(
        "show_errors() takes a pydantic ValidationError, a 422 error from the client, a 422 body "
        f"or a list of {{loc, msg}} dicts, not {type(obj).__name__}"
    )
