"""Descriptions become tooltips (a `tooltip` trait or an escaped `title`) on every kind of field."""

from __future__ import annotations

import html
import re

import ipywidgets as w
import pytest
from widget_specs import IMAGE_SIZE, field, obj

from falwidgets.schema import FieldSpec
from falwidgets.widgets import form

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


def _tips(root: w.Widget) -> list[str]:
    """Tooltips a browser would show under `root`: `tooltip` traits and HTML `title`s."""
    found: list[str] = []
    stack = [root]
    while stack:
        node = stack.pop()
        tip = getattr(node, "tooltip", None)
        if isinstance(tip, str) and tip:
            found.append(tip)
        if isinstance(node, w.HTML):
            assert "<script" not in node.value and "<b>bold" not in node.value, node.value
            found += [html.unescape(t) for t in re.findall(r'title="([^"]*)"', node.value)]
        stack.extend(getattr(node, "children", ()))
    return found


@pytest.mark.parametrize("name", sorted(KINDS))
def test_every_kind_shows_its_description_as_a_tooltip(name: str) -> None:
    spec = KINDS[name].evolve(description=DESC)
    made = form(obj(spec), expand=True)
    assert DESC in _tips(made.fields[spec.name].widget)


def test_hint_joins_the_description() -> None:
    spec = field("steps", "integer", description="How many.", hints={"hint": "More is slower"})
    made = form(obj(spec))
    assert "How many.\nMore is slower" in _tips(made.fields["steps"].widget)


def test_no_description_no_tooltip() -> None:
    made = form(obj(field("text", "string")))
    assert _tips(made.fields["text"].widget) == []
