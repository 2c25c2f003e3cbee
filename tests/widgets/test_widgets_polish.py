"""Review fixes: readable labels, URL lists, example placeholders that are not values, snippets
that run without a key, plain errors for unknown endpoints."""

from __future__ import annotations

import contextlib
import io
import subprocess
import sys
from typing import Any

import pytest

import falwidgets
from falwidgets.schema import FieldSpec, UnknownEndpoint
from falwidgets.widgets import form
from widget_specs import field, obj

IMAGE = FieldSpec(name="", kind="string", role="file", media="image")


def _node(made: Any, name: str) -> dict[str, Any]:
    return next(n for n in made.spec["properties"] if n["name"] == name)


def test_labels_in_a_form_use_the_schema_rule() -> None:
    made = form("fal-ai/toon-crafter")
    assert _node(made, "cfg_scale")["label"] == "CFG scale"
    assert _node(made, "fps")["label"] == "FPS"
    urls = _node(made, "keyframe_image_urls")
    assert urls["label"] == "Keyframe image URLs" and urls["required"]  # the browser adds " *"


def test_url_list_errors_land_on_the_row_and_bad_values_are_rejected() -> None:
    made = form(obj(field("image_urls", "array", role="file", items=IMAGE, min_items=2)))
    assert _node(made, "image_urls")["control"] == "files"
    made.value = {"image_urls": ["https://cdn.example/a.png"]}
    assert made.fields["image_urls"].error is not None  # too few
    made.show_errors([{"loc": ["body", "image_urls", 1], "msg": "cannot fetch", "type": "x"}])
    assert {"loc": ["image_urls", 1], "msg": "cannot fetch", "type": "x"} in made.errors
    made.value = {"image_urls": "https://not-a-list"}
    assert "list" in str(made.fields["image_urls"].error)


def test_example_placeholders_travel_as_examples_not_values() -> None:
    spec = obj(field("prompt", "string", role="prompt", examples=("A charismatic  speaker\n",)))
    made = form(spec)
    # the browser shows it as an "e.g." placeholder; it is never the value
    assert _node(made, "prompt")["example"] == "A charismatic  speaker\n"
    assert made.value == {}  # the required field is empty


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
