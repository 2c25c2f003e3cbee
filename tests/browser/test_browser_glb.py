"""The three.js GLB viewer really draws in Chromium, from bytes, a data: URI and a server URL."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from browser_harness import Lab, canvas_pixels
from glb_cube import check_glb_structure, cube_glb

pytestmark = pytest.mark.browser

LOADED = '.fw-glb[data-status^="loaded:"]'


def _assert_drawn(viewer: Any, *, min_fraction: float = 0.05) -> dict[str, Any]:
    stats = canvas_pixels(viewer.locator("canvas"))
    assert stats["width"] > 100 and stats["height"] > 100, stats
    assert stats["fraction"] > min_fraction, stats
    assert stats["buckets"] >= 4, stats
    return stats


@pytest.fixture(scope="module")
def glb_page(lab: Lab) -> Any:
    """One notebook with three viewers: bytes, data: URI, and a status echo through the kernel."""
    glb = cube_glb()
    check_glb_structure(glb)
    data_uri = "data:model/gltf-binary;base64," + base64.b64encode(glb).decode()
    cells = [
        "import base64\n"
        "import ipywidgets as W\n"
        "from falwidgets.previews import _glb\n"
        "from falwidgets.previews._glb import GLBViewer\n"
        f"glb = base64.b64decode({base64.b64encode(glb).decode()!r})\n"
        "asked = W.Label('0').add_class('t-asked')\n"
        "_reply = GLBViewer._on_custom_msg\n"
        "def _counting(self, widget, content, buffers):\n"
        "    if content == {'type': 'fw-glb-bundle?'}:\n"
        "        asked.value = str(int(asked.value) + 1)\n"
        "    _reply(self, widget, content, buffers)\n"
        "GLBViewer._on_custom_msg = _counting\n"
        "asked",
        "by_bytes = GLBViewer(data=glb, height=300)\n"
        "by_bytes.add_class('t-bytes')\n"
        "echo = W.Label('').add_class('t-echo')\n"
        "by_bytes.observe(lambda ch: setattr(echo, 'value', 'kernel saw ' + ch['new']), 'status')\n"
        "W.VBox([by_bytes, echo])",
        f"by_uri = GLBViewer({data_uri!r}, height=240)\nby_uri.add_class('t-uri')\nby_uri",
    ]
    page = lab.run_notebook(cells, "glb_viewer")
    yield page
    lab.close(page, "glb_viewer")


def test_glb_from_bytes_draws_the_cube(lab: Lab, glb_page: Any) -> None:
    viewer = glb_page.locator(f".t-bytes {LOADED}")
    viewer.wait_for(timeout=30_000)
    assert viewer.get_attribute("data-status") == "loaded:1 meshes"
    assert viewer.get_attribute("data-meshes") == "1"
    assert viewer.get_attribute("data-vertices") == "24"
    stats = _assert_drawn(viewer)
    # the background is the viewer's light grey, and the centre of the view is on the cube
    assert stats["background"] == [0xF4, 0xF5, 0xF7], stats
    center = [int(v) for v in viewer.get_attribute("data-center-pixel").split(",")]
    distance = sum(abs(a - b) for a, b in zip(center[:3], stats["background"], strict=True))
    assert distance > 30, center
    height = viewer.evaluate("el => el.getBoundingClientRect().height")
    assert abs(height - 300) < 2
    lab.screenshot(glb_page, "glb-bytes", selector=".t-bytes")
    lab.screenshot(glb_page, "glb-notebook")
    assert not lab.errors_of(glb_page)


def test_glb_status_reaches_the_kernel(glb_page: Any) -> None:
    glb_page.wait_for_function(
        "() => (document.querySelector('.t-echo')?.textContent || '').includes('loaded:1 meshes')",
        timeout=15_000,
    )
    assert "kernel saw loaded:1 meshes" in glb_page.locator(".t-echo").inner_text()


def test_glb_from_data_uri_draws(lab: Lab, glb_page: Any) -> None:
    viewer = glb_page.locator(f".t-uri {LOADED}")
    viewer.wait_for(timeout=30_000)
    _assert_drawn(viewer)


def test_glb_follows_kernel_changes(lab: Lab, glb_page: Any) -> None:
    """Clearing, refilling and resizing from the kernel re-renders the same view."""
    viewer = glb_page.locator(".t-bytes .fw-glb")
    glb_page.locator(f".t-bytes {LOADED}").wait_for(timeout=30_000)
    lab.execute(glb_page, "by_bytes.data = b''")
    glb_page.locator('.t-bytes .fw-glb[data-status="empty"]').wait_for(timeout=10_000)
    assert canvas_pixels(viewer.locator("canvas"))["fraction"] < 0.001
    lab.execute(glb_page, "by_bytes.data = glb\nby_bytes.height = 200")
    glb_page.locator(f".t-bytes {LOADED}").wait_for(timeout=10_000)
    glb_page.wait_for_function(
        "() => Math.abs(document.querySelector('.t-bytes canvas')"
        ".getBoundingClientRect().height - 200) < 2",
        timeout=10_000,
    )
    _assert_drawn(viewer)
    assert lab.execute(glb_page, "print(by_bytes.status)").strip() == "loaded:1 meshes"


def test_three_js_is_sent_once_per_page(glb_page: Any) -> None:
    """Two viewers on the page, one request for the 630 KB bundle (not saved in the notebook)."""
    glb_page.locator(f".t-bytes {LOADED}").wait_for(timeout=30_000)
    glb_page.locator(f".t-uri {LOADED}").wait_for(timeout=30_000)
    assert glb_page.locator(".t-asked").inner_text().strip() == "1"


def test_glb_orbit_changes_the_view(glb_page: Any) -> None:
    viewer = glb_page.locator(f".t-bytes {LOADED}")
    canvas = viewer.locator("canvas")
    before = canvas.evaluate("c => c.toDataURL()")
    box = canvas.bounding_box()
    assert box is not None
    x, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    glb_page.mouse.move(x, y)
    glb_page.mouse.down()
    glb_page.mouse.move(x + 120, y + 40, steps=6)
    glb_page.mouse.up()
    after = canvas.evaluate("c => c.toDataURL()")
    assert after != before, "dragging did not rotate the view"
    _assert_drawn(viewer)


def _upload(server_url: str, data: bytes, name: str, content_type: str) -> str:
    """Put a file on the local server's CDN upload route; return its http URL."""
    import httpx

    answer = httpx.post(
        f"{server_url}/files/upload",
        content=data,
        headers={"content-type": content_type, "x-fal-file-name": name},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()["access_url"]


def _demo_glb_url(server_url: str) -> str:
    """Run the server's 3D demo (meshy multi-image-to-3d) and return its GLB's URL."""
    import httpx
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 64), (30, 160, 90)).save(buffer, format="PNG")
    image = _upload(server_url, buffer.getvalue(), "view.png", "image/png")
    answer = httpx.post(
        f"{server_url}/run/fal-ai/meshy/v5/multi-image-to-3d",
        json={"image_urls": [image]},
        timeout=120,
    )
    assert answer.status_code == 200, answer.text[:500]
    return answer.json()["model_glb"]["url"]


def test_glb_from_the_local_server_url(lab: Lab, run_notebook: Any, local_server: Any) -> None:
    """Our cube uploaded to the server, and the server's own demo GLB, both loaded by http URL."""
    cube = _upload(local_server.url, cube_glb(), "cube.glb", "model/gltf-binary")
    demo = _demo_glb_url(local_server.url)
    assert cube.startswith("http://127.0.0.1:") and demo.startswith("http://127.0.0.1:")
    missing = f"{local_server.url}/files/0000/<b>missing</b>.glb"
    page = run_notebook(
        [
            "import ipywidgets as W\n"
            "from falwidgets.previews._glb import GLBViewer\n"
            f"cube = GLBViewer({cube!r}, height=260).add_class('t-url')\n"
            f"demo = GLBViewer({demo!r}, height=260).add_class('t-demo')\n"
            f"gone = GLBViewer({missing!r}, height=120).add_class('t-missing')\n"
            "W.VBox([cube, demo, gone])"
        ],
        "glb_url",
    )
    viewer = page.locator(f".t-url {LOADED}")
    viewer.wait_for(timeout=30_000)
    assert viewer.get_attribute("data-vertices") == "24"
    _assert_drawn(viewer)
    demo_viewer = page.locator(f".t-demo {LOADED}")
    demo_viewer.wait_for(timeout=30_000)
    assert int(demo_viewer.get_attribute("data-meshes")) >= 1
    _assert_drawn(demo_viewer, min_fraction=0.02)
    # a missing file is reported on the viewer (escaped text, no uncaught page error)
    failed = page.locator('.t-missing .fw-glb[data-status^="error:"]')
    failed.wait_for(timeout=30_000)
    assert failed.locator("b").count() == 0
    lab.screenshot(page, "glb-url", selector=".t-url")
    lab.screenshot(page, "glb-demo", selector=".t-demo")
    assert not lab.errors_of(page)


def test_glb_in_voila(lab: Lab) -> None:
    """Voila (no JupyterLab): the bundle still arrives by custom message and the cube is drawn."""
    glb64 = base64.b64encode(cube_glb()).decode()
    page = lab.voila(
        [
            "import base64\n"
            "from falwidgets.previews._glb import GLBViewer\n"
            f"GLBViewer(data=base64.b64decode({glb64!r}), height=280).add_class('t-voila')"
        ],
        "glb_voila",
        ready_selector=f".t-voila {LOADED}",
    )
    try:
        _assert_drawn(page.locator(f".t-voila {LOADED}"))
        lab.screenshot(page, "glb-voila", selector=".t-voila")
        assert not lab.errors_of(page)
    finally:
        lab.close(page)
