"""Each kind of spec gets its control in the browser's table; users add their own widgets
(composed into the anywidget form) and restore the table."""

from __future__ import annotations

import enum

import anywidget
import ipywidgets as w
import pytest
import traitlets

from falwidgets.schema import FieldSpec
from falwidgets.widgets import WidgetRegistry, form, register_widget
from falwidgets.widgets._registry import REGISTRY
from falwidgets.widgets._spec_json import control_for, optional
from widget_specs import IMAGE_SIZE, field, obj

RGB = FieldSpec(
    name="color",
    kind="object",
    ref="RGBColor",
    role="color",
    required=True,
    properties=tuple(FieldSpec(name=k, kind="integer", minimum=0, maximum=255) for k in "rgb"),
)

CASES = [
    (field("prompt", "string", role="prompt"), "prompt"),
    (field("name", "string"), "text"),
    (field("params", "string", role="json"), "json_string"),
    (field("steps", "integer", minimum=1, maximum=50), "number"),
    (field("scale", "number"), "number"),
    (field("fmt", "enum", enum=("png", "jpeg")), "enum"),
    (field("flag", "boolean"), "boolean"),
    (field("seed", "integer", role="seed"), "seed"),
    (field("seed", "integer", role="seed", required=False), "seed"),  # empty = no seed
    (field("kind", "const", const="x"), "const"),
    (RGB, "color"),
    (field("secret", "string", hidden=True), "hidden"),
    (field("blob", "any"), "json"),
    (field("extra", "object"), "json"),  # free-form object: JSON is the right editor
    (IMAGE_SIZE.evolve(required=True), "image_size"),
    (obj(field("a", "integer"), name="group"), "object"),
    (field("tags", "array", items=FieldSpec(name="", kind="string")), "list"),
    (
        field("choice", "union", variants=(field("a", "integer"), field("b", "string"))),
        "union",
    ),
    (field("image_url", "string", role="file", media="image"), "file"),
    (
        field(
            "image_urls",
            "array",
            role="file",
            items=FieldSpec(name="", kind="string", role="file", media="image"),
        ),
        "files",
    ),
    # optional without a natural "empty" state: the control with an on/off switch
    (field("steps", "integer", required=False), "number"),
    (field("steps", "integer", nullable=True, default=None), "number"),
    (IMAGE_SIZE.evolve(nullable=True, default=None), "image_size"),
    (field("note", "string", required=False), "text"),
]


@pytest.mark.parametrize(("spec", "control"), CASES, ids=[f"{s.name}-{c}" for s, c in CASES])
def test_each_kind_of_spec_gets_the_right_control(spec: FieldSpec, control: str) -> None:
    assert control_for(spec) == control


def test_optional_fields_get_a_switch_that_sends_nothing_when_off() -> None:
    assert optional(field("steps", "integer", required=False))
    assert optional(field("steps", "integer", nullable=True, default=None))
    assert not optional(field("steps", "integer", default=4))
    made = form(obj(field("steps", "integer", required=False, maximum=9, minimum=0)))
    assert "steps" not in made.value  # off: sends nothing
    made.fields["steps"].value = 4
    assert made.value == {"steps": 4} and made.errors == []


class Stars(anywidget.AnyWidget):
    _esm = "export default { render({ model, el }) { el.textContent = model.get('value'); } };"
    value = traitlets.Int(0).tag(sync=True)


def _composed(made: object, name: str) -> object | None:
    node = next(n for n in made.spec["properties"] if n["name"] == name)  # type: ignore[attr-defined]
    return made.children[node["widget"]] if node["control"] == "widget" else None  # type: ignore[attr-defined]


def test_register_type_as_call_decorator_and_context_manager() -> None:
    spec = obj(field("n", "integer", default=3), field("e", "enum", enum=("a", "b")))
    with REGISTRY.restoring():
        register_widget(int, lambda s: w.IntSlider(min=0, max=10))
        made = form(spec)
        slider = _composed(made, "n")
        assert isinstance(slider, w.IntSlider) and slider.value == 3  # default shown by it
        slider.value = 7  # the user's widget changed
        assert made.value["n"] == 7

        @register_widget("enum")
        def radio(spec: FieldSpec) -> w.ValueWidget:
            return w.RadioButtons(options=list(spec.enum))

        assert isinstance(_composed(form(spec), "e"), w.RadioButtons)
        with register_widget(lambda s: s.name == "n", lambda s: w.BoundedIntText(max=5)):
            assert isinstance(_composed(form(spec), "n"), w.BoundedIntText)
        assert isinstance(_composed(form(spec), "n"), w.IntSlider)
    assert _composed(form(spec), "n") is None  # restored: the built-in control again


def test_global_register_widget_and_restore() -> None:
    class Mood(enum.Enum):
        HAPPY = "happy"
        SAD = "sad"

    spec = obj(field("mood", "enum", enum=("happy", "sad")))
    with register_widget(Mood, lambda s: Stars()):
        assert isinstance(_composed(form(spec), "mood"), Stars)
    assert _composed(form(spec), "mood") is None
    handle = register_widget(Mood, lambda s: Stars())
    assert isinstance(_composed(form(spec), "mood"), Stars)
    handle.remove()
    handle.remove()  # twice is harmless
    assert _composed(form(spec), "mood") is None
    with REGISTRY.restoring():
        register_widget(Mood, lambda s: Stars())
        assert isinstance(_composed(form(spec), "mood"), Stars)
    assert _composed(form(spec), "mood") is None


def test_a_model_predicate_matches_its_own_fields_not_a_namesake() -> None:
    from pydantic import BaseModel

    registry = WidgetRegistry()

    class LoraWeight(BaseModel):
        path: str
        scale: float = 1.0

    registry.register(LoraWeight, lambda s: Stars())
    same = obj(field("path", "string"), field("scale", "number"), name="lora", ref="LoraWeight")
    namesake = obj(field("url", "string"), name="lora", ref="LoraWeight")
    assert registry.lookup(same) is not None
    assert registry.lookup(namesake) is None

    class Plain:
        pass

    with pytest.raises(TypeError, match="says nothing about a field"):
        registry.register(Plain, lambda s: Stars())


def test_decorator_form_registers_only_once_decorated() -> None:
    registry = WidgetRegistry()
    pending = registry.register("string")
    assert registry.entries() == []  # nothing half-made in the table

    def make(spec: FieldSpec) -> w.Text:
        return w.Text()

    assert pending(make) is make
    found = registry.lookup(field("s", "string"))
    assert found is not None and found.name == "make"
    with pytest.raises(TypeError, match="not a decorator"):
        pending(make)


def test_user_factory_must_return_a_widget_with_a_value() -> None:
    with REGISTRY.restoring():
        register_widget(str, lambda s: w.Button())
        with pytest.raises(TypeError, match="has no `value` trait"):
            form(obj(field("x", "string")))
    with pytest.raises(TypeError, match="register_widget needs"):
        register_widget(42, lambda s: None)
    with pytest.raises(TypeError, match="callable factory"):
        register_widget(str, 42)


def test_fallbacks_only_for_typed_fields_given_json() -> None:
    made = form(obj(field("a", "integer"), field("b", "any"), field("c", "object"), name="x"))
    assert made.fallback_fields() == []
