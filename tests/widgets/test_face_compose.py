"""User controls in the face: register_widget's widgets composed as children (anywidget 0.11),
and ES-module controls registered from Python."""

from __future__ import annotations

import anywidget
import ipywidgets as w
import pytest
import traitlets

from falwidgets.widgets import register_widget
from falwidgets.widgets._form import _ES_CONTROLS, Form, register_control
from widget_specs import field, obj


class Stars(anywidget.AnyWidget):
    _esm = (
        "export default { render({ model, el }) {"
        " el.textContent = '*'.repeat(model.get('value')); } };"
    )
    value = traitlets.Int(0).tag(sync=True)


SPEC = obj(
    field("rating", "integer", minimum=0, maximum=5, default=3, required=False),
    field("name", "string"),
)


def test_a_registered_widget_is_a_composed_child_kept_in_step() -> None:
    with register_widget(lambda s: s.name == "rating", lambda spec: Stars()):
        form = Form(SPEC)
    (child,) = form.children
    assert isinstance(child, Stars) and child.value == 3  # starts at the field's value
    node = next(p for p in form.spec["properties"] if p["name"] == "rating")
    assert node["control"] == "widget" and node["widget"] == 0
    assert form.get_state()["children"] == [f"anywidget:{child.model_id}"]
    child.value = 5  # the user's widget changed (in the browser or in Python)
    assert form.value["rating"] == 5
    form.value = {"rating": 1, "name": "x"}
    assert child.value == 1
    form.value = {**form.value, "rating": 9}
    assert form.fields["rating"].error  # Python still checks the value against the schema


def test_a_stock_ipywidget_is_composed_too() -> None:
    with register_widget(int, lambda spec: w.IntSlider(min=0, max=5)):
        form = Form(SPEC)
    (child,) = form.children
    child.value = 4
    assert form.value["rating"] == 4


def test_a_widget_without_value_is_refused() -> None:
    with (
        register_widget(int, lambda spec: w.Button(description="no value")),
        pytest.raises(TypeError, match="no `value` trait"),
    ):
        Form(SPEC)


def test_es_module_controls_travel_only_where_used() -> None:
    esm = "export default (node, bind) => ({ el: document.createElement('b'), update() {} });"
    register_control("string", "shout", esm)
    try:
        form = Form(SPEC)
        node = next(p for p in form.spec["properties"] if p["name"] == "name")
        assert node["control"] == "shout" and form._controls == {"shout": esm}
        with pytest.raises(ValueError, match="identifier"):
            register_control("string", "not a name", esm)
        with pytest.raises(ValueError, match="export default"):
            register_control("string", "x", "console.log(1)")
    finally:
        _ES_CONTROLS.clear()
    assert Form(SPEC)._controls == {}
