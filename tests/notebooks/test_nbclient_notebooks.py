"""Every notebook runs top to bottom under nbclient, no key, no internet, with real results."""

from __future__ import annotations

import re
import sys
from collections.abc import Callable

import nbformat
import pytest
from nb_exec import NOTEBOOKS, Executed

pytestmark = pytest.mark.slow

URL = r"http://127\.0\.0\.1:\d+/files/\S+"


def test_generator_and_files_agree_and_outputs_are_cleared() -> None:
    sys.path.insert(0, str(NOTEBOOKS))
    try:
        import make_notebooks
    finally:
        sys.path.remove(str(NOTEBOOKS))
    assert make_notebooks.main(check=True) == 0, "run notebooks/make_notebooks.py"
    names = sorted(p.stem for p in NOTEBOOKS.glob("*.ipynb"))
    assert names == sorted(make_notebooks.NOTEBOOKS)
    for name in names:
        nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
        nbformat.validate(nb)
        code = [c for c in nb.cells if c.cell_type == "code"]
        assert code and all(not c.outputs and c.execution_count is None for c in code), name
        assert "widgets" not in nb.metadata, name


def has_block(done: Executed, kind: str) -> bool:
    """A result block of ``kind`` (previews.describe) is in the saved widget state."""
    return re.search(r'"kind": ?"' + kind + '"', done.state_json) is not None


def test_01_quickstart(execute: Callable[[str], Executed]) -> None:
    done = execute("01-quickstart")
    assert not done.errors
    assert re.search(r"Done · inference \d+\.\d+ s", done.text)
    assert re.search(URL + r"\.(jpg|png)", done.text)
    assert "falwidgets.Client()" in done.text  # form.code() printed a runnable snippet
    assert len(done.models_with_class("fw-app")) == 1
    assert has_block(done, "images") and "local fal-compatible server" in done.state_json


def test_02_seed_endpoints(execute: Callable[[str], Executed]) -> None:
    done = execute("02-seed-endpoints")
    assert not done.errors
    assert len(re.findall(URL + r"\.(webm|mp4)", done.text)) == 2
    assert len(done.models_with_class("fw-app")) == 3
    assert len(re.findall(r'"kind": ?"video"', done.state_json)) >= 2


def test_03_media_previews(execute: Callable[[str], Executed]) -> None:
    done = execute("03-media-previews")
    assert not done.errors
    assert re.search(r"[1-9]\d* objects", done.text)
    assert re.search(r"/files/\S*toon-\d+\.webm", done.state_json)  # the video cell ran
    # the result blocks (a streamed run ends on its final result; partials are tested in
    # tests/runner/test_face_app_parity.py)
    for kind in ("audio", "video", "boxes", "glb", "images"):
        assert has_block(done, kind), kind
    # the GLB viewer: an anywidget of its own (every falwidgets widget is an AnyModel now)
    glb = [m for m in done.models if m["model_name"] == "AnyModel" and "url" in m["state"]]
    assert glb and glb[0]["state"]["url"].endswith(".glb")


def test_04_your_own_model(execute: Callable[[str], Executed]) -> None:
    done = execute("04-your-own-model")
    assert not done.errors
    assert re.search(r"^320 " + URL + r"badge\.png", done.text, re.M)
    assert "rejected: [['body', 'text']]" in done.text  # refused before sending, 422-shaped
    # the banner says why
    assert re.search(r'"title": ?"Fix 1 field first", ?"detail": ?"text"', done.state_json)
    assert "String should have at most 24 characters" in done.text  # form.errors shown


def test_05_sweeps_and_history(execute: Callable[[str], Executed]) -> None:
    done = execute("05-sweeps-and-history")
    assert not done.errors
    assert "6 runs," in done.text
    assert done.models_with_class("fw-sweep") and done.models_with_class("fw-compare-view")
    (past,) = done.models_with_class("fw-history")  # rows travel as messages, not state
    assert past["state"]["total"] >= 6


def test_06_workshop(execute: Callable[[str], Executed]) -> None:
    done = execute("06-workshop")
    assert not done.errors
    assert "proxy at http://127.0.0.1:" in done.text
    assert "not allowed" in done.text
    assert "Running through the proxy at http://127.0.0.1:" in done.state_json
    token = re.search(r"fwt_\S+", done.text)
    assert token and token.group(0) not in done.state_json  # the token never reaches widgets
