"""Forms in a real JupyterLab: the three seed endpoints and a large corpus endpoint (issue 4).

One notebook shows the four forms, each next to a text box that the kernel fills with the form's
JSON value whenever it changes, so the tests prove browser -> kernel -> browser, not just drawing.
"""

from __future__ import annotations

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
FIELD = '.{tag} .fw-field[data-path="{name}"]'  # a top-level field's row in the anywidget form


def _source(tag: str, seeds_dir: Path, corpus_dir: Path) -> Path:
    where, name = FORMS[tag]
    return (seeds_dir if where == "seeds" else corpus_dir) / name


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
        page.locator(f".{tag} .fw-form").first.wait_for(state="attached", timeout=30_000)
        # "Additional settings" is drawn on first open: open it as a user would
        summary = page.locator(f".{tag} details.fw-settings > summary")
        if summary.count():
            summary.first.click()
    yield page
    lab.close(page, "forms")


def _row(page: Any, tag: str, name: str) -> Any:
    return page.locator(FIELD.format(tag=tag, name=name)).first


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
    if spec.kind == "const":
        return "code, span, input"
    if spec.role == "file":
        return "input, button"  # a URL box and a drop/upload button
    if spec.role == "seed":
        return ".fw-seed-random"
    if spec.role == "prompt":
        return "textarea"
    if spec.kind in ("integer", "number"):
        return "input"
    if spec.kind == "boolean":  # an optional one is a three-way choice (not set / on / off)
        return "input[type=checkbox], select, button, [role=radio]"
    if spec.kind == "enum":
        return "select, input, button"
    return CONTROLS


@pytest.mark.parametrize("tag", list(FORMS))
def test_every_field_rendered_with_its_control(
    lab: Lab, forms_page: Any, tag: str, seeds_dir: Path, corpus_dir: Path
) -> None:
    endpoint = load_endpoint(_source(tag, seeds_dir, corpus_dir))
    assert endpoint.input is not None
    fields = [spec for spec in endpoint.input.properties if not spec.hidden]
    assert fields
    missing, wrong = [], []
    for spec in fields:
        row = _row(forms_page, tag, spec.name)
        if row.count() == 0:
            missing.append(spec.name)
            continue
        if row.locator(_expected_control(spec)).count() == 0:
            wrong.append(f"{spec.name} ({spec.kind}/{spec.role}) lacks {_expected_control(spec)}")
    assert not missing, f"fields not rendered: {missing}"
    assert not wrong, wrong
    value = _value(forms_page, tag)  # the kernel echoes the form's value
    assert isinstance(value, dict)
    lab.screenshot(forms_page, f"form-{tag}", selector=f".{tag}")
    assert not lab.errors_of(forms_page)


def test_out_of_range_entry_shows_its_message_beside_the_field(forms_page: Any) -> None:
    row = _row(forms_page, "t-big", "num_images")
    box = row.locator("input[type=number]").first
    box.fill("11")
    box.press("Enter")
    error = row.locator(".fw-field-error")
    forms_page.wait_for_function(
        """el => el && el.textContent.includes('10')""",
        arg=error.element_handle(),
        timeout=10_000,
    )
    # the message sits in the field's own row, not in a banner elsewhere
    assert "10" in error.inner_text()
    box.fill("3")
    box.press("Enter")
    _wait_value(forms_page, "t-big", "v => v.num_images === 3")
    forms_page.wait_for_function(
        """el => el && !el.textContent.trim()""", arg=error.element_handle(), timeout=10_000
    )


def test_seed_randomise_changes_the_seed(forms_page: Any) -> None:
    before = _value(forms_page, "t-gamecraft").get("seed")
    _row(forms_page, "t-gamecraft", "seed").locator(".fw-seed-random").first.click()
    after = _wait_value(forms_page, "t-gamecraft", f"v => v.seed !== {json.dumps(before)}")
    assert isinstance(after["seed"], int)
