"""Input validation with fal's 422 shape (FastAPI `detail` items with `loc` under "body").

The models come from the endpoint's registration: the demos build theirs from their real fal
OpenAPI documents through the schema layer (`falwidgets.server.demos.models`).
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel
from pydantic import ValidationError as PydanticValidationError


def pydantic_detail(exc: PydanticValidationError) -> list[dict[str, Any]]:
    """pydantic errors -> fal/FastAPI `detail` items with `loc` prefixed by "body"."""
    detail: list[dict[str, Any]] = []
    for error in exc.errors(include_url=False):
        item: dict[str, Any] = {
            "loc": ["body", *error.get("loc", ())],
            "msg": error.get("msg", "invalid value"),
            "type": error.get("type", "value_error"),
        }
        if "ctx" in error:
            item["ctx"] = _json_safe(error["ctx"])
        if "input" in error and error["type"] != "missing":
            item["input"] = _json_safe(error["input"])
        detail.append(item)
    return detail


def _json_safe(value: Any) -> Any:
    try:
        json.dumps(value, allow_nan=False)  # what the JSON response will require
        return value
    except (TypeError, ValueError):
        return str(value)


def validate_input(model: type[BaseModel] | None, arguments: Any) -> tuple[Any, list | None]:
    """(model instance, None) or (None, fal 422 detail)."""
    if not isinstance(arguments, dict):
        return None, [
            {"loc": ["body"], "msg": "Input should be a JSON object", "type": "model_type"}
        ]
    if model is None:
        return arguments, None
    try:
        return model.model_validate(arguments), None
    except PydanticValidationError as exc:
        return None, pydantic_detail(exc)
