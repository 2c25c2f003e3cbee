"""The registry maps each kind of spec to its widget, and users can extend and restore it."""

from __future__ import annotations

import enum

import ipywidgets as w
import pytest
from widget_specs import IMAGE_SIZE, field, obj

from falwidgets.schema import FieldSpec
from falwidgets.widgets import BuildContext, FieldWidget, WidgetRegistry, register_widget
from falwidgets.widgets import _composite as c
from falwidgets.widgets import _file as f
from falwidgets.widgets import _leaf as leaf
from falwidgets.widgets._registry import BUILTINS, REGISTRY

RGB = FieldSpec(
    name="color",
    kind="object",
    ref="RGBColor",
    role="color",
    required=True,
    properties=tuple(FieldSpec(name=k, kind="integer", minimum=0, maximum=255) for k in "rgb"),
)

CASES = [
    (field("prompt", "string", role="prompt"), leaf.PromptField),
    (field("name", "string"), leaf.TextField),
    (field("params", "string", role="json"), leaf.JsonStringField),
    (field("steps", "integer", minimum=1, maximum=50), leaf.NumberField),
    (field("scale", "number"), leaf.NumberField),
    (field("fmt", "enum", enum=("png", "jpeg")), leaf.EnumField),
    (field("flag", "boolean"), leaf.BoolField),
    (field("seed", "integer", role="seed"), leaf.SeedField),
    (field("seed", "integer", role="seed", required=False), leaf.SeedField),  # empty = no seed
    (field("kind", "const", const="x"), leaf.ConstField),
    (RGB, leaf.ColorField),
    (field("secret", "string", hidden=True), leaf.HiddenField),
    (field("blob", "any"), leaf.JsonField),
    (field("extra", "object"), leaf.JsonField),  # free-form object: JSON is the right editor
    (IMAGE_SIZE.evolve(required=True), c.ImageSizeField),
    (obj(field("a", "integer"), name="group"), c.ObjectField),
    (field("tags", "array", items=FieldSpec(name="", kind="string")), c.ListField),
    (
        field("choice", "union", variants=(field("a", "integer"), field("b", "string"))),
        c.UnionField,
    ),
    (field("image_url", "string", role="file", media="image"), f.FileField),
    (
        field(
            "image_urls",
            "array",
            role="file",
            items=FieldSpec(name="", kind="string", role="file", media="image"),
        ),
        f.FileListField,
    ),
    # optional without a natural "empty" state: wrapped in a toggle
    (field("steps", "integer", required=False), c.OptionalField),
    (field("steps", "integer", nullable=True, default=None), c.OptionalField),
    (IMAGE_SIZE.evolve(nullable=True, default=None), c.ImageSizeField),  # has a "default" button
    # optional strings can be empty themselves
    (field("note", "string", required=False), leaf.TextField),
]


@pytest.mark.parametrize(("spec", "cls"), CASES, ids=[f"{s.name}-{c.__name__}" for s, c in CASES])
def test_each_entry_maps_the_right_spec_to_the_right_widget(spec: FieldSpec, cls: type) -> None:
    made = REGISTRY.build(spec, BuildContext(REGISTRY))
    assert type(made) is cls
    assert "fw-field" in made.widget._dom_classes
    assert f"fw-field-{spec.name}" in made.widget._dom_classes


def test_optional_inner_widget_is_built_on_demand() -> None:
    made = REGISTRY.build(
        field("steps", "integer", required=False, maximum=9, minimum=0), BuildContext(REGISTRY)
    )
    assert isinstance(made, c.OptionalField)
    assert made.inner is None and made.get() is made.spec.default  # MISSING: sends nothing
    made.value = 4
    assert isinstance(made.inner, leaf.NumberField)
    assert made.get() == 4
    made.toggle.value = False
    assert made.inner is not None and made.get() is made.spec.default


def test_long_enums_get_a_searchable_combobox() -> None:
    choices = tuple(f"voice_{i}" for i in range(30))
    made = REGISTRY.build(field("voice", "enum", enum=choices), BuildContext(REGISTRY))
    assert isinstance(made.control, w.Combobox)
    made.value = "voice_7"
    assert made.get() == "voice_7"
    made.control.value = "nonsense"
    assert made.error and "one of" in made.error


def test_register_type_as_call_decorator_and_context_manager() -> None:
    registry = WidgetRegistry()
    ctx = BuildContext(registry)
    spec = field("n", "integer", default=3)

    registry.register(int, lambda s: w.IntSlider(min=0, max=10))
    made = registry.build(spec, ctx)
    assert isinstance(made.control, w.IntSlider)  # type: ignore[attr-defined]
    assert made.get() == 3  # default shown by the user's widget

    @registry.register("enum")
    def radio(spec: FieldSpec, ctx: BuildContext) -> w.ValueWidget:
        return w.RadioButtons(options=list(spec.enum))

    made = registry.build(field("e", "enum", enum=("a", "b")), ctx)
    assert isinstance(made.control, w.RadioButtons)  # type: ignore[attr-defined]

    with registry.register(lambda s: s.name == "n", lambda s: w.BoundedIntText(max=5)):
        assert isinstance(registry.build(spec, ctx).control, w.BoundedIntText)  # type: ignore[attr-defined]
    assert isinstance(registry.build(spec, ctx).control, w.IntSlider)  # type: ignore[attr-defined]


def test_global_register_widget_and_restore() -> None:
    class Mood(enum.Enum):
        HAPPY = "happy"
        SAD = "sad"

    class Mine(FieldWidget):
        def build(self) -> w.Box:
            self.v = "happy"
            return self.row()

        def get(self) -> str:
            return self.v

        def set(self, value: str) -> None:
            self.v = value

    spec = field("mood", "enum", enum=("happy", "sad"))
    with register_widget(Mood, Mine):
        assert isinstance(REGISTRY.build(spec, BuildContext(REGISTRY)), Mine)
    assert isinstance(REGISTRY.build(spec, BuildContext(REGISTRY)), leaf.EnumField)
    handle = register_widget(Mood, Mine)
    assert isinstance(REGISTRY.build(spec, BuildContext(REGISTRY)), Mine)
    handle.remove()
    handle.remove()  # twice is harmless
    assert isinstance(REGISTRY.build(spec, BuildContext(REGISTRY)), leaf.EnumField)
    with REGISTRY.restoring():
        register_widget(Mood, Mine)
        assert isinstance(REGISTRY.build(spec, BuildContext(REGISTRY)), Mine)
    assert isinstance(REGISTRY.build(spec, BuildContext(REGISTRY)), leaf.EnumField)


def test_a_model_predicate_matches_its_own_fields_not_a_namesake() -> None:
    from pydantic import BaseModel

    registry = WidgetRegistry()
    ctx = BuildContext(registry)

    class LoraWeight(BaseModel):
        path: str
        scale: float = 1.0

    registry.register(LoraWeight, leaf.JsonField)
    same = obj(field("path", "string"), field("scale", "number"), name="lora", ref="LoraWeight")
    namesake = obj(field("url", "string"), name="lora", ref="LoraWeight")
    assert isinstance(registry.build(same, ctx), leaf.JsonField)
    assert not isinstance(registry.build(namesake, ctx), leaf.JsonField)

    class Plain:
        pass

    with pytest.raises(TypeError, match="says nothing about a field"):
        registry.register(Plain, leaf.JsonField)


def test_decorator_form_registers_only_once_decorated() -> None:
    registry = WidgetRegistry()
    pending = registry.register("string")
    assert registry.entries() == list(BUILTINS)  # nothing half-made in the table
    assert pending(leaf.PromptField) is leaf.PromptField
    assert registry.lookup(field("s", "string")).name == "PromptField"
    with pytest.raises(TypeError, match="not a decorator"):
        pending(leaf.TextField)


def test_user_factory_must_return_a_widget() -> None:
    registry = WidgetRegistry()
    registry.register(str, lambda s: 42)
    with pytest.raises(TypeError, match="expected a FieldWidget"):
        registry.build(field("x", "string"), BuildContext(registry))
    with pytest.raises(TypeError, match="register_widget needs"):
        registry.register(42, lambda s: None)


def test_fallbacks_only_for_typed_fields_given_json() -> None:
    registry = WidgetRegistry()
    assert registry.fallbacks(obj(field("a", "integer"), field("b", "any"), name="x")) == []
    registry.register(int, leaf.JsonField)
    assert registry.fallbacks(obj(field("a", "integer"), name="x"), ("x",)) == ["x.a"]
