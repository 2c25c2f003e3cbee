"""Forms in a real JupyterLab: the three seed endpoints and a large corpus endpoint (issue 4).

One notebook shows the four forms, each next to a text box that the kernel fills with the form's
JSON value whenever it changes, so the tests prove browser -> kernel -> browser, not just drawing.
"""

from __future__ import annotations

import io
import json
from pathlib import Path
from typing import Any

import pytest
from browser_harness import Lab

from falwidgets.schema import load_endpoint

pytestmark = pytest.mark.browser

BIG = "fal-ai__flux-general__inpainting.json"  # 36 fields: ImageSize, bounds, files, lists, enums
FORMS = {
    "t-toon": ("seeds", "fal-ai__toon-crafter.json"),
    "t-gamecraft": ("seeds", "anthonywu__gamecraft.json"),
    "t-flux": ("seeds", "fal-ai__flux-realism.json"),
    "t-big": ("corpus", BIG),
}
CONTROLS = "input, textarea, select, button"


def _source(tag: str, seeds_dir: Path, corpus_dir: Path) -> Path:
    where, name = FORMS[tag]
    return (seeds_dir if where == "seeds" else corpus_dir) / name


def _css(name: str) -> str:
    import re

    return re.sub(r"[^A-Za-z0-9_-]", "-", name) or "_"


@pytest.fixture(scope="module")
def forms_page(lab: Lab, seeds_dir: Path, corpus_dir: Path) -> Any:
    cells = [
        "import json\n"
        "import ipywidgets as W\n"
        "import falwidgets\n"
        "def show(source, tag):\n"
        "    form = falwidgets.form(source)\n"
        "    form.add_class(tag)\n"
        "    echo = W.Textarea(layout=W.Layout(width='95%'))\n"
        "    echo.add_class(tag + '-value')\n"
        "    def update(_=None):\n"
        "        echo.value = json.dumps(form.value, sort_keys=True, default=str)\n"
        "    form.observe(update, 'value')\n"
        "    update()\n"
        "    return W.VBox([form, echo])",
        *(f"show({str(_source(tag, seeds_dir, corpus_dir))!r}, {tag!r})" for tag in FORMS),
    ]
    page = lab.run_notebook(cells, "forms")
    for tag in FORMS:
        page.locator(f".{tag}.fw-form, .{tag} .fw-form").first.wait_for(
            state="attached", timeout=30_000
        )
        # collapsed sections render their children lazily: open "Advanced" as a user would
        header = page.locator(f".{tag} .fw-advanced .jupyter-widget-Collapse-header")
        if header.count():
            header.first.click()
            page.locator(f".{tag} .fw-advanced .jupyter-widget-Collapse-contents").first.wait_for(
                state="visible", timeout=10_000
            )
    yield page
    lab.close(page, "forms")


def _value(page: Any, tag: str) -> dict[str, Any]:
    return json.loads(page.locator(f".{tag}-value textarea").input_value())


def _wait_value(page: Any, tag: str, predicate_js: str, timeout: int = 10_000) -> dict[str, Any]:
    """Wait until the kernel's echo of the form value satisfies ``predicate_js`` (v => bool)."""
    page.wait_for_function(
        f"""() => {{
            const box = document.querySelector('.{tag}-value textarea');
            if (!box || !box.value) return false;
            try {{ return ({predicate_js})(JSON.parse(box.value)); }} catch (e) {{ return false; }}
        }}""",
        timeout=timeout,
    )
    return _value(page, tag)


def _expected_control(spec: Any) -> str:
    """The selector a field's row must contain, by what the field is."""
    optional = not spec.required and not spec.has_default
    if optional and spec.kind not in ("boolean", "const", "array"):
        # "send nothing" fields may sit behind an on/off toggle; the control shows when it is on
        return f"{_control_of(spec)}, .fw-optional"
    return _control_of(spec)


def _control_of(spec: Any) -> str:
    if spec.kind == "const":
        return "code"
    if spec.role == "image_size":
        return ".fw-imagesize"
    if spec.role == "file":
        return ".fw-upload"  # ipywidgets' FileUpload button (its <input type=file> is detached)
    if spec.role == "seed":
        return ".fw-seed-random"
    if spec.role == "prompt":
        return "textarea"
    if spec.kind in ("integer", "number"):
        return "input[type=number]"
    if spec.kind == "boolean":
        return "input[type=checkbox]"
    if spec.kind == "enum":
        return "select, input"
    return CONTROLS


@pytest.mark.parametrize("tag", list(FORMS))
def test_every_field_rendered_with_its_widget(
    lab: Lab, forms_page: Any, tag: str, seeds_dir: Path, corpus_dir: Path
) -> None:
    endpoint = load_endpoint(_source(tag, seeds_dir, corpus_dir))
    assert endpoint.input is not None
    fields = [spec for spec in endpoint.input.properties if not spec.hidden]
    assert fields
    missing, wrong = [], []
    for spec in fields:
        row = forms_page.locator(f".{tag} .fw-field-{_css(spec.name)}").first
        if row.count() == 0:
            missing.append(spec.name)
            continue
        if row.locator(_expected_control(spec)).count() == 0:
            wrong.append(f"{spec.name} ({spec.kind}/{spec.role}) lacks {_expected_control(spec)}")
    assert not missing, f"fields not rendered: {missing}"
    assert not wrong, wrong
    # the kernel echo holds every required field's value or its absence is deliberate
    value = _value(forms_page, tag)
    assert isinstance(value, dict)
    lab.screenshot(forms_page, f"form-{tag}", selector=f".{tag}")
    assert not lab.errors_of(forms_page)


def test_out_of_range_entry_shows_its_message_beside_the_field(forms_page: Any) -> None:
    row = forms_page.locator(".t-big .fw-field-num_images").first
    box = row.locator("input[type=number]").first
    box.fill("11")
    box.press("Enter")
    error = row.locator(".fw-error")
    error.wait_for(state="visible", timeout=10_000)
    assert "10" in error.inner_text(), error.inner_text()
    # the message sits in the field's own row, not in a banner elsewhere
    assert forms_page.locator(".t-big .fw-field .fw-error:visible").count() == 1
    box.fill("3")
    box.press("Enter")
    _wait_value(forms_page, "t-big", "v => v.num_images === 3")
    error.wait_for(state="hidden", timeout=10_000)


def test_imagesize_presets_switch(forms_page: Any) -> None:
    sizes = forms_page.locator(".t-flux .fw-imagesize").first
    assert _value(forms_page, "t-flux")["image_size"] == "landscape_4_3"  # the schema default
    sizes.get_by_role("button", name="portrait_16_9", exact=True).click()
    _wait_value(forms_page, "t-flux", "v => v.image_size === 'portrait_16_9'")
    button = sizes.get_by_role("button", name="portrait_16_9", exact=True)
    assert "mod-active" in (button.get_attribute("class") or "")
    sizes.get_by_role("button", name="custom", exact=True).click()
    value = _wait_value(forms_page, "t-flux", "v => typeof v.image_size === 'object'")
    assert set(value["image_size"]) == {"width", "height"}
    width = forms_page.locator(".t-flux .fw-imagesize-width input").first
    width.fill("768")
    width.press("Enter")
    _wait_value(forms_page, "t-flux", "v => v.image_size.width === 768")
    sizes.get_by_role("button", name="square_hd", exact=True).click()
    _wait_value(forms_page, "t-flux", "v => v.image_size === 'square_hd'")


def test_file_upload_shows_its_thumbnail(lab: Lab, forms_page: Any) -> None:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 90)).save(buffer, format="PNG")
    row = forms_page.locator(".t-big .fw-field-image_url").first
    # FileUpload opens a chooser from a detached <input type=file>: answer the chooser
    with forms_page.expect_file_chooser(timeout=10_000) as chooser:
        row.locator(".fw-upload").first.click()
    chooser.value.set_files(
        files=[{"name": "pink.png", "mimeType": "image/png", "buffer": buffer.getvalue()}]
    )
    thumb = row.locator("img.fw-thumb").first
    thumb.wait_for(timeout=15_000)
    forms_page.wait_for_function(
        "img => img.complete && img.naturalWidth === 64 && img.naturalHeight === 48",
        arg=thumb.element_handle(),
        timeout=10_000,
    )
    value = _wait_value(forms_page, "t-big", "v => typeof v.image_url === 'string'")
    assert value["image_url"].startswith(("data:image/png;base64,", "http"))
    lab.screenshot(forms_page, "form-upload", selector=".t-big .fw-field-image_url")


def test_seed_randomise_changes_the_seed(forms_page: Any) -> None:
    before = _value(forms_page, "t-gamecraft")["seed"]
    forms_page.locator(".t-gamecraft .fw-seed-random").first.click()
    after = _wait_value(forms_page, "t-gamecraft", f"v => v.seed !== {json.dumps(before)}")
    assert isinstance(after["seed"], int)


@pytest.mark.parametrize("tag", ["t-flux", "t-big"])
def test_text_and_number_boxes_are_wide_enough_to_use(forms_page: Any, tag: str) -> None:
    """Every visible text/number box in a form is at least 40 px wide (room for a few digits)."""
    narrow = forms_page.evaluate(
        """(tag) => [...document.querySelectorAll(
              `.${tag} .fw-field input[type=number], .${tag} .fw-field input[type=text]`)]
            .filter((el) => el.offsetParent !== null)
            .map((el) => [el.closest('.fw-field').className.match(/fw-field-(\\S+)/)[1],
                          Math.round(el.getBoundingClientRect().width)])
            .filter(([, width]) => width < 40)""",
        tag,
    )
    assert not narrow, f"boxes too narrow to type in (field, px): {narrow}"
