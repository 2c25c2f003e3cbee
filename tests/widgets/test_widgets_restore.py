"""Defaults restorable from the UI: a per-field button that exists only once a field differs."""

from __future__ import annotations

import ipywidgets as w
from widget_specs import IMAGE_SIZE, field, obj

from falwidgets.widgets import form


def _restore_buttons(widget: w.Widget) -> list[w.Button]:
    found = []
    stack = [widget]
    while stack:
        node = stack.pop()
        if isinstance(node, w.Button) and "fw-restore" in node._dom_classes:
            found.append(node)
        stack.extend(getattr(node, "children", ()))
    return found


def _spec() -> object:
    return obj(
        field("prompt", "string", role="prompt"),
        field("steps", "integer", minimum=1, maximum=50, default=28),
        field("guidance", "number", nullable=True, required=False, default=3.5),
        IMAGE_SIZE.evolve(required=True),
        field("name", "string", required=False),  # no default: nothing to restore
    )


def test_no_restore_widgets_until_a_field_differs() -> None:
    made = form(_spec(), expand=True)
    assert _restore_buttons(made) == []
    made.fields["prompt"].control.value = "a cat"  # no default: still nothing
    made.fields["name"].control.value = "x"
    assert _restore_buttons(made) == []


def test_restore_button_appears_restores_and_hides() -> None:
    made = form(_spec())
    steps = made.fields["steps"]
    steps.control.value = 40
    (button,) = _restore_buttons(steps.widget)
    assert steps.restore_shown and "28" in button.tooltip
    button.click()
    assert made.value["steps"] == 28 and not steps.restore_shown
    steps.slider.value = 10  # differs again: the same button comes back
    assert steps.restore_shown and _restore_buttons(steps.widget) == [button]
    steps.control.value = 28  # typing the default back hides it too
    assert not steps.restore_shown


def test_restore_on_optional_and_image_size_fields() -> None:
    made = form(_spec(), expand=True)
    guidance = made.fields["guidance"]
    guidance.toggle.value = False  # off differs from the default 3.5
    assert guidance.restore_shown
    assert len(_restore_buttons(guidance.widget)) == 1  # one for the field, none for its inner
    _restore_buttons(guidance.widget)[0].click()
    assert made.value["guidance"] == 3.5 and guidance.toggle.value
    size = made.fields["image_size"]
    size.buttons.value = "square"
    _restore_buttons(size.widget)[0].click()
    assert made.value["image_size"] == "landscape_4_3" and not size.restore_shown


def test_restore_clears_an_error_and_sits_before_it() -> None:
    made = form(_spec())
    steps = made.fields["steps"]
    steps.control.value = 99
    assert steps.error is not None
    kids = list(steps.widget.children)
    assert kids.index(steps._restore) < kids.index(steps._error_label)
    steps._restore.click()
    assert steps.error is None and made.errors == []


def test_form_reset_hides_every_restore_button() -> None:
    made = form(_spec(), expand=True)
    made.value = {"prompt": "p", "steps": 5, "guidance": 1.0, "image_size": "square"}
    assert sum(b.layout.display != "none" for b in _restore_buttons(made)) == 3
    made.reset()
    assert all(b.layout.display == "none" for b in _restore_buttons(made))
