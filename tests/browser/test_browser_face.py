"""The face (issue 11) in a real JupyterLab, light and dark: the flux-realism app and the big
post-processing corpus app. Layout at 1440 and 800 px, presets switching width x height, the first
error focused inside "Additional settings", one submission after a double click, banner contrast
>= 4.5:1 and a result image >= 480 px wide. Screenshots go to tests/artifacts/face-*.png."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from browser_harness import Lab
from face_checks import banner_contrast, choose_preset, columns, custom_size, focused_field

pytestmark = pytest.mark.browser

COMPOSED = """\
import anywidget, traitlets
from pydantic import BaseModel
from falwidgets.widgets import register_widget
from falwidgets import form
class Bump(anywidget.AnyWidget):
    _esm = '''export default { render({ model, el }) {
      const b = document.createElement('button'); b.className = 'bump';
      const show = () => { b.textContent = 'bump ' + model.get('value'); };
      b.onclick = () => { model.set('value', model.get('value') + 1); model.save_changes(); };
      model.on('change:value', show); show(); el.append(b); } };'''
    value = traitlets.Int(0).tag(sync=True)
class Rate(BaseModel):
    rating: int = 1
    note: str = ''
with register_widget(lambda s: s.name == 'rating', lambda spec: Bump()):
    rate = form(Rate)
rate"""

CELLS = [
    "import json\n"
    "from falwidgets.client import AsyncClient\n"
    "from falwidgets import app\n"
    "from falwidgets.runner._backend import local_server\n"
    "server = local_server()",
    "flux = app('fal-ai/flux-realism')\nflux",
    # not a demo of the local server: a client of our own keeps Run on (local checks come first)
    "big = app('fal-ai/post-processing', client=AsyncClient(base_url=server.url))\nbig",
    COMPOSED,
]


def _wait(predicate: Any, timeout: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"{what} not met within {timeout} s")
        time.sleep(0.1)


def _theme(page: Any, name: str) -> None:
    page.evaluate(
        "(t) => window.jupyterapp.commands.execute('apputils:change-theme', {theme: t})", name
    )
    page.locator("#jupyterlab-splash").wait_for(state="detached", timeout=30_000)
    _wait(
        lambda: page.evaluate("() => document.body.dataset.jpThemeName") == name,
        what=f"theme {name}",
    )


@pytest.fixture(scope="module")
def face_page(lab: Lab) -> Any:
    page = lab.run_notebook(CELLS, "face")
    page.set_viewport_size({"width": 1440, "height": 900})
    apps = page.locator(".fw-app[data-ready='1']")
    apps.nth(1).wait_for(timeout=60_000)
    yield page
    lab.close(page, "face")


def _apps(page: Any) -> tuple[Any, Any]:
    apps = page.locator(".fw-app[data-ready='1']")
    return apps.nth(0), apps.nth(1)


def _kernel_json(lab: Lab, page: Any, expr: str) -> Any:
    return json.loads(lab.execute(page, f"print(json.dumps({expr}))").strip())


@pytest.mark.parametrize("theme", ["JupyterLab Light", "JupyterLab Dark"])
def test_face_in_jupyterlab(lab: Lab, face_page: Any, theme: str) -> None:
    page = face_page
    tag = "dark" if "Dark" in theme else "light"
    _theme(page, theme)
    flux, big = _apps(page)

    # -- layout: two columns at 1440 px, stacked at 800 px (the widget's own width decides)
    page.set_viewport_size({"width": 1440, "height": 900})
    flux.scroll_into_view_if_needed()
    _wait(lambda: columns(flux)["two"], what="two columns at 1440 px")
    lab.screenshot(page, f"face-jupyterlab-{tag}-1440", selector=".fw-app")
    page.set_viewport_size({"width": 800, "height": 900})
    _wait(lambda: not columns(flux)["two"], what="stacked at 800 px")
    lab.screenshot(page, f"face-jupyterlab-{tag}-800")
    page.set_viewport_size({"width": 1440, "height": 900})

    # -- presets: width x height only for Custom, filled with the chosen preset's real size
    assert flux.locator(".fw-size-custom").is_hidden()
    choose_preset(flux, "square_hd")
    choose_preset(flux, "__custom__")
    assert flux.locator(".fw-size-custom").is_visible()
    assert custom_size(flux) == ("1024", "1024")
    choose_preset(flux, "portrait_16_9")
    choose_preset(flux, "__custom__")
    assert custom_size(flux) == ("576", "1024")
    _wait(
        lambda: (
            _kernel_json(lab, page, "flux.value['image_size']") == {"width": 576, "height": 1024}
        ),
        what="custom size reached the kernel",
    )
    choose_preset(flux, "landscape_4_3")

    # -- Run with an empty required prompt: nothing sent, the prompt is focused
    url = _kernel_json(lab, page, "server.url")
    before = _submissions(url, "fal-ai/flux-realism")
    flux.locator("textarea.fw-prompt").fill("")
    flux.locator(".fw-run").click()
    flux.locator(".fw-c-prompt.fw-has-error").wait_for()
    assert focused_field(flux)["path"] == "prompt"
    assert _submissions(url, "fal-ai/flux-realism") == before

    # -- a double click submits once; the image fills the result pane
    flux.locator("textarea.fw-prompt").fill(f"a lighthouse at dusk ({tag})")
    flux.locator(".fw-run:not([disabled])").wait_for()
    flux.locator(".fw-run").dblclick()
    flux.locator(".fw-status[data-state='done']").wait_for(timeout=60_000)
    assert _submissions(url, "fal-ai/flux-realism") - before == 1
    image = flux.locator(".fw-result img").first
    image.wait_for()
    _wait(lambda: image.evaluate("(i) => i.complete && i.naturalWidth > 0"), what="image loaded")
    assert image.bounding_box()["width"] >= 480
    lab.screenshot(page, f"face-jupyterlab-{tag}-result", selector=".fw-app")

    # -- a banner (as a failed run shows it) reads at >= 4.5:1 in this theme
    lab.execute(
        page,
        "flux.banner = {'title': 'Server unreachable', 'detail': 'connection refused by "
        "127.0.0.1:9', 'request_id': 'req-123'}",
    )
    flux.locator(".fw-banner:not([hidden])").wait_for()
    ratios = banner_contrast(flux)
    assert ratios and min(ratios.values()) >= 4.5, ratios
    lab.screenshot(page, f"face-jupyterlab-{tag}-banner", selector=".fw-app")
    lab.execute(page, "flux.banner = {}")

    # -- a server 422 on a settings field: the section and its group open, the field has focus
    big.scroll_into_view_if_needed()
    big.locator(".fw-settings").evaluate("(d) => { d.open = false; }")  # as a user left it
    lab.execute(
        page,
        "big.show_errors([{'loc': ['body', 'grain_intensity'], 'msg': 'Input should be less "
        "than or equal to 1'}])",
    )
    _wait(lambda: focused_field(big)["path"] == "grain_intensity", what="focus on the bad field")
    where = focused_field(big)
    assert where["inSettings"] and where["settingsOpen"], where
    assert "less than or equal to 1" in where["error"]
    lab.screenshot(page, f"face-jupyterlab-{tag}-big-error", selector=".fw-app >> nth=1")
    lab.execute(page, "big.reset()")
    assert not lab.errors_of(page)


def _png() -> bytes:
    import io

    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 40, 40)).save(buffer, "PNG")
    return buffer.getvalue()


def test_composed_widget_and_upload_in_jupyterlab(lab: Lab, face_page: Any) -> None:
    page = face_page
    _theme(page, "JupyterLab Light")
    # a user's anywidget from register_widget, drawn inside the form through composition
    form = page.locator(".fw-form-widget").last
    bump = form.locator(".fw-user-widget[data-ready='1'] button.bump")
    bump.wait_for()
    bump.click()
    _wait(lambda: _kernel_json(lab, page, "rate.value['rating']") == 2, what="child -> form")
    lab.execute(page, "rate.value = {'rating': 7, 'note': 'x'}")
    _wait(lambda: bump.text_content() == "bump 7", what="form -> child")
    # a file dropped on the big form travels to the kernel and comes back as a thumbnail
    _, big = _apps(page)
    picker = big.locator(".fw-c-file input[type=file]").first
    picker.set_input_files(files=[{"name": "dot.png", "mimeType": "image/png", "buffer": _png()}])
    big.locator(".fw-c-file img.fw-thumb").first.wait_for()
    assert _kernel_json(lab, page, "big.value['image_url'][:22]") == "data:image/png;base64,"
    assert big.locator(".fw-upload-state").first.text_content() == ""  # no leftover counter
    lab.screenshot(page, "face-jupyterlab-upload", selector=".fw-app >> nth=1")
    assert not lab.errors_of(page)


def _submissions(url: str, endpoint: str) -> int:
    data = httpx.get(url + "/_falwidgets/submissions", timeout=10).json()
    return sum(c["count"] for c in data["submissions"] if c["endpoint"] == endpoint)
