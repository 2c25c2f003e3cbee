"""GLBViewer's Python side: argument checks, the one-off bundle message, a small saved notebook."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import nbformat
import pytest
import traitlets
from browser_harness import write_notebook
from glb_cube import cube_glb

from falwidgets.previews._glb import GLBViewer, _bundle


def test_accepts_http_https_data_and_bytes() -> None:
    glb = cube_glb()
    assert GLBViewer("https://cdn.example/m.glb").url == "https://cdn.example/m.glb"
    assert GLBViewer("http://127.0.0.1:8765/files/m.glb", height=200).height == 200
    uri = "data:model/gltf-binary;base64," + base64.b64encode(glb).decode()
    assert GLBViewer(uri).url == uri
    viewer = GLBViewer(data=glb)
    assert viewer.glb == glb and viewer.data == glb and viewer.url == ""
    assert f"{len(glb)} bytes" in repr(viewer)


@pytest.mark.parametrize(
    "url",
    ["file:///etc/passwd", "javascript:alert(1)", "/files/m.glb", "data:text/html,<b>x</b>"],
)
def test_rejects_other_urls_at_the_call(url: str) -> None:
    with pytest.raises(ValueError, match="GLBViewer url"):
        GLBViewer(url)
    viewer = GLBViewer()
    with pytest.raises(traitlets.TraitError, match="GLBViewer url"):
        viewer.url = url


def test_rejects_bytes_that_are_not_a_model() -> None:
    with pytest.raises(ValueError, match="not a GLB"):
        GLBViewer(data=b"\x89PNG\r\n\x1a\n....")
    with pytest.raises(TypeError, match="bytes"):
        GLBViewer(data="glTF")  # type: ignore[arg-type]
    with pytest.raises(traitlets.TraitError, match="height"):
        GLBViewer(height=10)


def test_bundle_is_sent_only_when_the_page_asks() -> None:
    viewer = GLBViewer(data=cube_glb())
    sent: list[tuple[object, list[bytes] | None]] = []
    viewer.send = lambda content, buffers=None: sent.append((content, buffers))  # type: ignore[method-assign]
    viewer._on_custom_msg(viewer, {"type": "something else"}, [])
    assert sent == []
    viewer._on_custom_msg(viewer, {"type": "fw-glb-bundle?"}, [])
    assert len(sent) == 1
    content, buffers = sent[0]
    assert content == {"type": "fw-glb-bundle"}
    assert buffers == [_bundle()]
    bundle = _bundle().decode()
    assert len(bundle) > 100_000 and "preserveDrawingBuffer" in bundle
    assert "https://unpkg" not in bundle and "cdn.jsdelivr" not in bundle


def test_saved_notebook_does_not_carry_the_bundle_per_viewer(tmp_path: Path) -> None:
    """Three viewers executed by nbclient with widget state saved: the notebook stays small."""
    from nbclient import NotebookClient

    glb64 = base64.b64encode(cube_glb()).decode()
    path = write_notebook(
        tmp_path,
        "three_viewers",
        [
            "import base64\nfrom falwidgets.previews._glb import GLBViewer\n"
            f"glb = base64.b64decode({glb64!r})",
            "GLBViewer(data=glb)",
            "GLBViewer(data=glb, height=200)",
            "GLBViewer('https://example.invalid/m.glb')",
        ],
    )
    notebook = nbformat.read(path, as_version=4)
    NotebookClient(notebook, kernel_name="python3", timeout=60, store_widget_state=True).execute()
    saved = json.dumps(nbformat.from_dict(notebook))
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    viewers = [m for m in state.values() if m["model_name"] == "AnyModel"]
    assert len(viewers) == 3
    for model in viewers:
        assert len(model["state"]["_esm"]) < 10_000
    assert len(saved) < 60_000, len(saved)
    assert len(_bundle()) > 10 * 60_000  # the whole bundle would not fit even once
