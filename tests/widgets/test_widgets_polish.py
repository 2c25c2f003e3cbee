"""Review fixes: readable labels, full-width text, one row per URL, example placeholders that do
not look like values, snippets that run without a key, plain errors for unknown endpoints."""

from __future__ import annotations

import contextlib
import datetime
import io
import subprocess
import sys
from typing import Any

import pytest
from widget_specs import field, obj

import falwidgets
from falwidgets.schema import MISSING, FieldSpec, UnknownEndpoint
from falwidgets.widgets import form
from falwidgets.widgets._base import TEXT_MAX_WIDTH
from falwidgets.widgets._file import FileField, FileListField

NOW = datetime.datetime(2026, 1, 1, tzinfo=datetime.timezone.utc)
IMAGE = FieldSpec(name="", kind="string", role="file", media="image")


def test_labels_in_a_form_use_the_schema_rule() -> None:
    made = form("fal-ai/toon-crafter")
    made.open_advanced()
    assert made.fields["cfg_scale"].control.description == "CFG scale"
    assert made.fields["fps"].control.description == "FPS"
    urls = made.fields["keyframe_image_urls"]
    assert "Keyframe image URLs *" in urls.widget.children[0].value


def test_text_and_textareas_fill_the_form_numbers_stay_compact() -> None:
    made = form("fal-ai/flux-realism", expand=True)
    prompt = made.fields["prompt"].control.layout
    assert prompt.width == "auto" and prompt.flex.startswith("1 1")
    assert prompt.max_width == TEXT_MAX_WIDTH
    steps = made.fields["num_inference_steps"]
    widths = {c.layout.width for c in steps.widget.children if hasattr(c, "layout")}
    assert "auto" not in widths  # slider + box keep their fixed sizes
    single = form(obj(field("note", "string"), field("image_url", "string", role="file")))
    for name in ("note", "image_url"):
        layout = single.fields[name].control.layout
        assert layout.flex and layout.max_width == TEXT_MAX_WIDTH, name


def _urls_form(**kw: Any) -> Any:
    return form(obj(field("image_urls", "array", role="file", items=IMAGE, **kw)))


def test_url_lists_get_one_row_per_url_with_add_and_remove() -> None:
    made = _urls_form()
    box = made.fields["image_urls"]
    assert isinstance(box, FileListField)
    assert len(box.rows()) == 1 and box.rows()[0].get() is MISSING  # one empty row to paste into
    assert "image_urls" not in made.value  # an empty row is not sent
    long_url = "https://cdn.example/" + "x" * 200 + ".png"
    made.value = {"image_urls": [long_url, "https://cdn.example/b.jpg"]}
    rows = box.rows()
    assert [type(r) for r in rows] == [FileField, FileField]
    assert rows[0].control.value == long_url  # a whole URL per one-line box, not wrapped text
    assert rows[0].control.description == ""
    assert "<img" in rows[0].thumbs.value
    box.append().control.value = "https://cdn.example/c.webp"
    assert made.value["image_urls"][-1] == "https://cdn.example/c.webp"
    box.move(2, -1)
    assert made.value["image_urls"][1] == "https://cdn.example/c.webp"
    box.remove(0)
    assert made.value == {"image_urls": ["https://cdn.example/c.webp", "https://cdn.example/b.jpg"]}
    box.append()  # a blank row stays out of the value
    assert len(made.value["image_urls"]) == 2 and made.errors == []


def test_url_list_errors_land_on_the_row_and_bad_values_are_rejected() -> None:
    made = _urls_form(min_items=2)
    made.value = {"image_urls": ["https://cdn.example/a.png"]}
    assert made.fields["image_urls"].error is not None  # too few
    made.show_errors([{"loc": ["body", "image_urls", 1], "msg": "cannot fetch", "type": "x"}])
    assert made.fields["image_urls"].rows()[0].error is None
    made.fields["image_urls"].assign("https://not-a-list")
    assert made.fields["image_urls"].error == "Input should be a list of URLs"


def test_upload_fills_the_empty_row_then_adds_rows() -> None:
    made = _urls_form()
    box = made.fields["image_urls"]
    box.upload.value = tuple(
        {
            "name": n,
            "type": "image/png",
            "size": 3,
            "content": memoryview(b"abc"),
            "last_modified": NOW,
        }
        for n in ("a.png", "b.png")
    )
    made.wait_uploads(5)
    assert len(box.rows()) == 2
    assert [r.control.value for r in box.rows()] == [
        "a.png (data URI, 3 B)",
        "b.png (data URI, 3 B)",
    ]
    assert all(v.startswith("data:image/png;base64,") for v in made.value["image_urls"])


def test_example_placeholders_are_marked_and_styled_as_examples() -> None:
    spec = obj(field("prompt", "string", role="prompt", examples=("A charismatic  speaker\n",)))
    made = form(spec)
    control = made.fields["prompt"].control
    assert control.placeholder == "e.g. A charismatic speaker"
    assert control.value == "" and made.value == {}  # the required field is empty
    style = made.children[0]
    assert "::placeholder" in style.value and "italic" in style.value
    assert style.layout.display == "none"
    long = form(obj(field("prompt", "string", examples=("word " * 100,))))
    assert len(long.fields["prompt"].control.placeholder) <= 5 + 120


def test_code_with_base_url_runs_without_a_key(local_server: Any) -> None:
    made = form("fal-ai/flux-realism")
    made.value = {**made.value, "prompt": "a red cube", "num_inference_steps": 1}
    plain = made.code()
    assert "reads FAL_KEY" in plain and "base_url" not in plain
    code = made.code("falwidgets", base_url=local_server.url + "/")
    assert f"base_url={local_server.url!r}" in code and "FAL_KEY" not in code.split("#")[0]
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        exec(compile(code, "<snippet>", "exec"), {})  # the snippet is what is tested
    assert "'images'" in out.getvalue()
    fal_code = made.code("fal_client", base_url=local_server.url)
    assert f"\npoint_fal_client({local_server.url!r})" in fal_code
    run = subprocess.run(
        [sys.executable, "-c", fal_code], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert "'images'" in run.stdout
    with pytest.raises(ValueError, match="base_url must be an http"):
        made.code(base_url="localhost:8000")


def test_unknown_endpoint_in_form_is_a_plain_error() -> None:
    with pytest.raises(UnknownEndpoint, match=r"Did you mean: fal-ai/flux-realism"):
        falwidgets.form("fal-ai/flux-realsim")
    with pytest.raises(ValueError, match=r"^unknown endpoint"):
        falwidgets.form("fal-ai/flux-realsim")
