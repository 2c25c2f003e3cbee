"""`form.show_errors()` and `normalize_errors`: every shape of "bad input" marks the same fields."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel, Field, ValidationError

from falwidgets.client import FalError
from falwidgets.widgets import Form, form
from falwidgets.widgets._errors import normalize_errors


class Input(BaseModel):
    prompt: str = Field(min_length=3)
    steps: int = Field(default=4, le=50)


class Rejected(FalError):
    """Any client error with an ``errors`` list (the client's 422 class is one)."""

    def __init__(self, message: str, errors: list[dict[str, Any]]) -> None:
        super().__init__(message)
        self.errors = errors


@pytest.fixture
def made() -> Form:
    return form(Input)


def _pydantic_error() -> ValidationError:
    with pytest.raises(ValidationError) as info:
        Input.model_validate({"prompt": "x", "steps": 99})
    return info.value


def _marks(made: Form) -> dict[str, str | None]:
    return {name: made.fields[name].error for name in ("prompt", "steps")}


def test_a_pydantic_validation_error_marks_its_fields(made: Form) -> None:
    assert made.show_errors(_pydantic_error()) == []
    marks = _marks(made)
    assert "at least 3 characters" in str(marks["prompt"])
    assert "less than or equal to 50" in str(marks["steps"])


def test_its_errors_list_and_its_errors_method_mark_the_same(made: Form) -> None:
    error = _pydantic_error()
    made.show_errors(error)
    expected = _marks(made)
    made.show_errors([])
    assert _marks(made) == {"prompt": None, "steps": None}
    made.show_errors(error.errors())
    assert _marks(made) == expected
    made.show_errors([])
    made.show_errors(error.errors)  # the README's `form.show_errors(err.errors)`, pydantic's way
    assert _marks(made) == expected
    assert not any("built-in method" in e["msg"] for e in made.errors)


def test_a_client_422_marks_its_fields_below_body(made: Form) -> None:
    error = Rejected("422", [{"loc": ["body", "prompt"], "msg": "too short", "type": "x"}])
    assert made.show_errors(error) == []
    assert _marks(made) == {"prompt": "too short", "steps": None}


def test_a_plain_422_list_and_body(made: Form) -> None:
    detail = [{"loc": ["body", "steps"], "msg": "too many", "type": "x"}]
    made.show_errors(detail)
    assert _marks(made) == {"prompt": None, "steps": "too many"}
    made.show_errors({"detail": [{"loc": ["body", "prompt"], "msg": "empty", "type": "x"}]})
    assert _marks(made) == {"prompt": "empty", "steps": None}


def test_errors_outside_any_field_go_to_the_message(made: Form) -> None:
    unplaced = made.show_errors({"detail": "Not enough credits"})
    assert unplaced == [{"loc": [], "msg": "Not enough credits"}]
    # shown above the form: an error without a field
    assert {"loc": [], "msg": "Not enough credits", "type": ""} in made.errors


def test_normalize_errors_shapes() -> None:
    assert normalize_errors(None) == [] and normalize_errors([]) == []
    assert normalize_errors("bad") == [{"loc": [], "msg": "bad"}]
    assert normalize_errors({"loc": "prompt", "msg": "x"}) == [{"loc": ["prompt"], "msg": "x"}]
    assert normalize_errors([{"loc": ("a", 0), "message": "m"}]) == [
        {"loc": ["a", 0], "message": "m", "msg": "m"}
    ]
    plain = normalize_errors(FalError("boom"))
    assert plain == [{"loc": [], "msg": "boom"}]
    with pytest.raises(TypeError, match="show_errors"):
        normalize_errors(42)
