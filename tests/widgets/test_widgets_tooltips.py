"""Descriptions travel with every kind of field, as text (the browser draws them as text)."""

from __future__ import annotations

import pytest

from falwidgets.schema import FieldSpec
from falwidgets.widgets import form
from widget_specs import IMAGE_SIZE, field, obj

DESC = 'Use <b>bold</b> & "quotes"\u2019 <script>alert(1)</script>'

_ITEM = FieldSpec(name="", kind="string", role="file", media="image")
_RGB = tuple(FieldSpec(name=k, kind="integer") for k in "rgb")
KINDS = {
    "text": field("text", "string"),
    "prompt": field("prompt", "string", role="prompt"),
    "slider": field("slider", "integer", minimum=0, maximum=9, default=1),
    "number": field("number", "number", default=1.0),
    "enum": field("enum", "enum", enum=("a", "b")),
    "combobox": field("combobox", "enum", enum=tuple(f"c{i}" for i in range(40))),
    "flag": field("flag", "boolean", default=False),
    "seed": field("seed", "integer", role="seed", required=False),
    "image_size": IMAGE_SIZE,
    "color": field("color", "object", role="color", ref="RGBColor", properties=_RGB),
    "json": field("json", "string", role="json"),
    "image_url": field("image_url", "string", role="file", media="image"),
    "image_urls": field("image_urls", "array", role="file", items=_ITEM),
    "const": field("const", "const", const="v1"),
    "group": obj(field("a", "integer", default=1), name="group"),
    "items": field("items", "array", items=field("i", "integer")),
    "union": field("union", "union", variants=(field("n", "integer"), field("s", "string"))),
    "optional": field("optional", "number", nullable=True, required=False),
    "anything": field("anything", "any"),
}


def _node(made: object, name: str) -> dict:
    return next(n for n in made.spec["properties"] if n["name"] == name)  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_carries_its_description_as_text(name: str) -> None:
    spec = KINDS[name].evolve(description=DESC)
    node = _node(form(obj(spec)), spec.name)
    # sent as it is: js/src/form/form.js draws it as a help line's text node, never as HTML
    assert node["description"] == DESC


def test_hint_travels_beside_the_description() -> None:
    spec = field("steps", "integer", description="How many.", hints={"hint": "More is slower"})
    node = _node(form(obj(spec)), "steps")
    assert node["description"] == "How many." and node["hint"] == "More is slower"


def test_no_description_no_tooltip() -> None:
    assert "description" not in _node(form(obj(field("text", "string"))), "text")
