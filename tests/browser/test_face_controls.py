"""Each control of the face form in headless Chromium against an in-page model (face_page.py):
what the browser writes into `value` for lists, unions, optional fields, presets, JSON and seeds.
The real hosts (JupyterLab, marimo) are covered by test_browser_face*.py."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from face_page import page_html

from falwidgets.schema import FieldSpec
from falwidgets.widgets._form import Form
from widget_specs import IMAGE_SIZE, field, obj

pytestmark = pytest.mark.browser

LORA = FieldSpec(
    name="LoraWeight",
    kind="object",
    ref="LoraWeight",
    title="LoraWeight",
    properties=(
        field("path", "string"),
        field("scale", "number", minimum=0, maximum=4, default=1.0, required=False),
    ),
)
SPEC = obj(
    field("prompt", "string", role="prompt"),
    IMAGE_SIZE,
    field("loras", "array", items=LORA, required=False, default=[]),
    field("seed", "integer", role="seed", required=False),
    field("sync", "boolean", nullable=True, required=False, default=None),
    field(
        "mask",
        "union",
        required=False,
        variants=(field("text", "string"), field("n", "integer", minimum=0, maximum=9)),
    ),
    field("extra", "string", role="json", required=False),
    field("steps", "integer", minimum=1, maximum=50, default=28, required=False),
)


@pytest.fixture
def page(browser_context: Any, tmp_path: Path) -> Any:
    form = Form(SPEC)
    html = tmp_path / "form.html"
    html.write_text(page_html(form))
    tab = browser_context.new_page()
    errors: list[str] = []
    tab.on("pageerror", lambda err: errors.append(str(err)))
    tab.goto(html.as_uri())
    tab.wait_for_function("window.__fw && window.__fw.ready", timeout=10_000)
    tab.locator(".fw-settings > summary").click()
    yield tab
    tab.close()
    assert not errors, errors


def _value(page: Any) -> dict:
    page.wait_for_timeout(250)  # the form sends edits after 150 ms of quiet
    return page.evaluate("window.__fw.saved.at(-1)")


def test_prompt_presets_and_custom_size(page: Any) -> None:
    page.locator("textarea.fw-prompt").fill("a cat")
    sizes = page.locator(".fw-c-image_size")
    sizes.locator("select").select_option("portrait_4_3")
    assert _value(page)["image_size"] == "portrait_4_3"
    sizes.locator("select").select_option("__custom__")
    assert _value(page)["image_size"] == {"width": 768, "height": 1024}
    sizes.locator(".fw-size-w").fill("640")
    assert _value(page) == {
        **_value(page),
        "prompt": "a cat",
        "image_size": {"width": 640, "height": 1024},
    }


def test_list_of_objects_add_reorder_remove(page: Any) -> None:
    loras = page.locator(".fw-c-list").first
    loras.locator(".fw-add").click()
    loras.locator(".fw-list-item").nth(0).locator("input[type=text]").fill("a.safetensors")
    loras.locator(".fw-add").click()
    loras.locator(".fw-list-item").nth(1).locator("input[type=text]").fill("b.safetensors")
    assert [x["path"] for x in _value(page)["loras"]] == ["a.safetensors", "b.safetensors"]
    assert _value(page)["loras"][0]["scale"] == 1.0  # the item's default
    loras.locator(".fw-list-item").nth(1).get_by_role("button", name="Move up").click()
    assert [x["path"] for x in _value(page)["loras"]] == ["b.safetensors", "a.safetensors"]
    loras.locator(".fw-list-item").nth(0).get_by_role("button", name="Remove").click()
    assert [x["path"] for x in _value(page)["loras"]] == ["a.safetensors"]
    assert "LoraWeight" not in loras.text_content()  # no class names as labels


def test_optional_fields_have_a_not_set_state(page: Any) -> None:
    seed = page.locator(".fw-c-seed")
    assert seed.locator(".fw-unset-note").is_visible()
    seed.locator(".fw-seed-random").click()
    value = _value(page)
    assert isinstance(value["seed"], int) and not seed.locator(".fw-unset-note").is_visible()
    seed.locator("input.fw-set").uncheck()
    assert "seed" not in _value(page)
    sync = page.locator(".fw-c-boolean select.fw-tristate")
    sync.select_option("false")
    assert _value(page)["sync"] is False
    sync.select_option("")
    assert "sync" not in _value(page)


def test_union_switches_variant_and_json_is_checked(page: Any) -> None:
    mask = page.locator(".fw-c-union")
    mask.locator("input.fw-set").check()
    mask.locator("select.fw-variant").select_option(label="Integer")
    mask.locator("input[type=number]").fill("4")
    assert _value(page)["mask"] == 4
    extra = page.locator(".fw-c-json_string")
    extra.locator("input.fw-set").check()
    extra.locator("textarea").fill("{bad")
    assert "Invalid JSON" in extra.locator(".fw-field-error").text_content()


def test_slider_and_box_agree_and_bounds_are_marked_at_once(page: Any) -> None:
    steps = page.locator(".fw-c-number").filter(has=page.locator("input[type=range]")).first
    steps.locator("input[type=number]").fill("60")
    assert "less than or equal to 50" in steps.locator(".fw-field-error").text_content()
    steps.locator("input[type=number]").fill("12")
    assert steps.locator("input[type=range]").input_value() == "12"
    assert _value(page)["steps"] == 12
