"""Each built-in entry with real-shaped outputs, the walker over nested outputs, and the layout."""

from __future__ import annotations

import copy
import json
import re
from collections.abc import Callable
from typing import Any

import ipywidgets as W
import pytest
from preview_cases import OUTPUTS, parse_html

import falwidgets
from falwidgets.previews import Preview, StreamPreview, preview, render
from falwidgets.previews._preview import preview as html_preview


def tags(html: str, tag: str) -> list[dict[str, str | None]]:
    return [attrs for t, attrs in parse_html(html).tags if t == tag]


def classes(html: str) -> list[str]:
    return [c for _, a in parse_html(html).tags for c in (a.get("class") or "").split()]


def json_text(html: str) -> Any:
    """The JSON view's content, decoded."""
    match = re.search(
        r'<details class="fw-json"[^>]*><summary>[^<]*</summary><pre>(.*?)</pre>', html, re.S
    )
    assert match, "no JSON view"
    import html as h

    return json.loads(h.unescape(match.group(1)))


def test_image_gallery_by_url(check_html: Callable[[str], Any]) -> None:
    out = OUTPUTS["flux"]
    r = render(out)
    check_html(r.html)
    imgs = tags(r.html, "img")
    assert [i["src"] for i in imgs] == [im["url"] for im in out["images"]]
    assert all("fw-image" in (i["class"] or "") for i in imgs)
    assert classes(r.html).count("fw-gallery") == 1  # one gallery, not four
    links = tags(r.html, "a")
    assert [a["href"] for a in links] == [im["url"] for im in out["images"]]
    assert all(a["class"] == "fw-download" for a in links)
    assert "175.8 KB" in r.html  # file_size shown with the link
    # seed and timings as chips; the rest (prompt, nsfw flags) as collapsed JSON
    assert "<b>seed</b> 42" in r.html and "<b>inference</b> 2.12" in r.html
    assert json_text(r.html) == {
        "has_nsfw_concepts": [False] * 4,
        "prompt": "a red fox in the snow",
    }
    assert '<details class="fw-json">' in r.html  # collapsed when there is media
    assert r.widgets == []


def test_one_widget_model_for_a_gallery() -> None:
    w = preview(OUTPUTS["flux"])
    assert isinstance(w, Preview) and w.children == []  # one model, no child widgets
    (gallery,) = [b for b in w.blocks if b["kind"] == "images"]
    assert len(gallery["items"]) == 4


def test_video_and_audio_players(check_html: Callable[[str], Any]) -> None:
    html = render(OUTPUTS["video"]).html
    check_html(html)
    (video,) = tags(html, "video")
    assert video["src"] == OUTPUTS["video"]["video"]["url"]
    assert "controls" in video and video["class"] == "fw-video"
    assert "out.mp4 · 1.2 MB" in html
    html = render(OUTPUTS["audio"]).html
    check_html(html)
    (audio,) = tags(html, "audio")
    assert audio["src"].endswith("music.mp3") and "controls" in audio
    assert audio["class"] == "fw-audio"


def test_glb_viewer_once_and_other_3d_formats_as_links(check_html: Callable[[str], Any]) -> None:
    from falwidgets.previews._glb import GLBViewer

    out = OUTPUTS["meshy"]
    r = render(out)
    for segment in r.segments:
        if isinstance(segment, str):
            check_html(segment)
    (viewer,) = r.widgets  # model_glb and model_urls.glb are the same file: one viewer
    assert isinstance(viewer, GLBViewer)
    assert viewer.url == out["model_glb"]["url"]
    assert "fw-glb" in viewer._dom_classes
    hrefs = [a["href"] for a in tags(r.html, "a")]
    for fmt in ("fbx", "usdz", "glb", "obj"):
        assert out["model_urls"][fmt]["url"] in hrefs
    # the 3D files under model_urls gather under one heading
    assert r.html.count('<div class="fw-label">Model urls</div>') == 1
    # thumbnail and the texture (nested in a list of objects) are images
    srcs = [i["src"] for i in tags(r.html, "img")]
    assert srcs == [out["thumbnail"]["url"], out["texture_urls"][0]["base_color"]["url"]]
    assert "<b>seed</b> 783032043" in r.html
    w = preview(out)
    (child,) = w.children  # the GLB viewer is the only child model
    assert isinstance(child, GLBViewer) and child.url == out["model_glb"]["url"]
    (glb,) = [b for b in w.blocks if b["kind"] == "glb"]
    assert glb["ref"] == f"anywidget:{child.model_id}"
    w.close()
    assert child.comm is None  # closed with the preview


def _box_styles(html: str) -> list[dict[str, float]]:
    out = []
    for attrs in tags(html, "div"):
        if "fw-box" in (attrs.get("class") or "").split():
            style = dict(p.split(":") for p in (attrs["style"] or "").split(";"))
            out.append({k: float(v.rstrip("%")) for k, v in style.items()})
    return out


def test_detection_boxes_over_their_image(check_html: Callable[[str], Any]) -> None:
    out = OUTPUTS["detect"]
    r = render(out)
    check_html(r.html)
    assert classes(r.html).count("fw-boxes") == 1
    boxes = _box_styles(r.html)
    assert len(boxes) == 2
    first = out["objects"][0]
    assert boxes[0]["left"] == pytest.approx(first["x_min"] * 100, abs=0.01)
    assert boxes[0]["top"] == pytest.approx(first["y_min"] * 100, abs=0.01)
    assert boxes[0]["width"] == pytest.approx((first["x_max"] - first["x_min"]) * 100, abs=0.01)
    assert boxes[0]["height"] == pytest.approx((first["y_max"] - first["y_min"]) * 100, abs=0.01)
    # the image is drawn once, under the boxes, not again in a gallery
    assert [i["src"] for i in tags(r.html, "img")] == [out["image"]["url"]]
    assert "fw-gallery" not in classes(r.html)
    assert "<b>finish_reason</b> stop" in r.html and "<b>output_tokens</b> 23" in r.html


def test_image_before_boxes_is_also_drawn_once() -> None:
    out = {"image": OUTPUTS["detect"]["image"], "objects": OUTPUTS["detect"]["objects"]}
    html = render(out).html
    assert len(tags(html, "img")) == 1 and "fw-gallery" not in classes(html)


def test_points_and_pixel_boxes() -> None:
    html = render(OUTPUTS["points"]).html
    points = _box_styles(html)
    assert len(points) == 2 and "fw-point" in classes(html)
    assert points[0] == {"left": pytest.approx(11.8), "top": pytest.approx(86.6)}
    # Florence: pixel x/y/w/h normalised by the image's width/height, labels shown
    html = render(OUTPUTS["florence"]).html
    boxes = _box_styles(html)
    assert boxes[0] == {"left": 12.5, "top": 12.5, "width": 25.0, "height": 25.0}
    assert boxes[1]["width"] == 50.0 and boxes[1]["height"] == 100.0
    assert "<span>car</span>" in html


def test_boxes_without_an_image_fall_back_to_json() -> None:
    out = {"objects": [{"x_min": 0.1, "y_min": 0.1, "x_max": 0.2, "y_max": 0.2}]}
    html = render(out).html
    assert "fw-boxes" not in classes(html)
    assert json_text(html) == out
    # pixel boxes with an image of unknown size cannot be placed either
    out2 = {"bboxes": [{"x": 5, "y": 5, "w": 10, "h": 10}], "image": {"url": "https://x/a.png"}}
    html = render(out2).html
    assert "fw-boxes" not in classes(html) and "fw-gallery" in classes(html)


def test_walker_finds_media_anywhere_and_keeps_the_rest() -> None:
    out = {
        "result": {
            "stages": [
                {
                    "name": "draft",
                    "preview": {"url": "https://x/d.webp", "content_type": "image/webp"},
                },
                {"name": "final", "clip": "https://x/final.mp4"},
            ],
            "meta": {"model": "m1", "empty": {}},
        },
        "video_url": "https://x/plain",
        "metrics": {"inference_time": 1.5},
    }
    r = render(out)
    assert [i["src"] for i in tags(r.html, "img")] == ["https://x/d.webp"]
    assert [v["src"] for v in tags(r.html, "video")] == ["https://x/final.mp4", "https://x/plain"]
    assert "<b>inference_time</b> 1.5" in r.html
    assert json_text(r.html) == {
        "result": {
            "stages": [{"name": "draft"}, {"name": "final"}],
            "meta": {"model": "m1", "empty": {}},
        }
    }


def test_list_output_and_non_dict_outputs() -> None:
    html = render([{"url": "https://x/1.png"}, {"url": "https://x/2.png"}]).html
    assert len(tags(html, "img")) == 2 and classes(html).count("fw-gallery") == 1
    assert "fw-gallery" in classes(render("https://x/one.jpg").html)
    assert json_text(render({"text": "hello"}).html) == {"text": "hello"}
    assert '<details class="fw-json" open>' in render({"text": "hello"}).html  # no media: open
    assert "no output" in render(None).html
    assert json_text(render({}).html) == {}


def test_pydantic_output_and_spec_labels() -> None:
    from pydantic import BaseModel

    from falwidgets.schema import FieldSpec

    class Img(BaseModel):
        url: str
        content_type: str

    class Out(BaseModel):
        pictures: list[Img]
        seed: int

    out = Out(pictures=[Img(url="https://x/a.png", content_type="image/png")], seed=7)
    spec = FieldSpec(
        name="",
        kind="object",
        properties=(
            FieldSpec(name="pictures", kind="array", title="Generated pictures"),
            FieldSpec(name="result", kind="string", media="audio"),
        ),
    )
    html = render(out, spec=spec).html
    assert '<div class="fw-label">Generated pictures</div>' in html and "<b>seed</b> 7" in html
    # the spec's media tells the kind of a URL that says nothing itself
    assert tags(render({"result": "https://x/blob"}, spec=spec).html, "audio")


def test_data_uri_images_render_inline_but_stay_small_in_json() -> None:
    data = "data:image/png;base64," + "A" * 200_000
    text = "data:text/plain;base64," + "B" * 100_000
    out = {"images": [{"url": data, "content_type": "image/png"}], "same": data, "log": text}
    html = render(out).html
    assert tags(html, "img")[0]["src"] == data
    assert not tags(html, "a")  # no second copy of 200 KB as a download href
    assert html.count(data) == 1  # the same data URI elsewhere is not sent again
    assert "Same: same image as above" in html
    assert text not in html and "100,023 chars" in html  # JSON view shows a short stub
    assert json_text(html)["log"].startswith("data:text/plain;base64,BBB")


def test_adjacent_images_merge_but_fields_stay_apart() -> None:
    out = {"images": [{"url": "https://x/a.png"}], "mask": {"url": "https://x/m.png"}}
    html = render(out).html
    assert classes(html).count("fw-gallery") == 2
    assert (
        '<div class="fw-label">Images</div>' in html and '<div class="fw-label">Mask</div>' in html
    )


def test_widget_state_stays_small() -> None:
    """A result is described by URL: 4 images are a couple of KB of blocks, never bytes."""
    w = preview(OUTPUTS["flux"])
    size = len(json.dumps(w.blocks))
    assert size < 2_500, size
    w.update(OUTPUTS["flux"])  # updating replaces the blocks, it does not pile them up
    assert len(json.dumps(w.blocks)) == size
    # the old HTML preview (the ipywidgets app) still shares its layout and style models
    h1, h2 = html_preview(OUTPUTS["flux"]), html_preview(OUTPUTS["flux"])
    assert h2.layout is h1.layout and h2.style is h1.style
    h1.layout.close()  # someone closing the shared layout must not break later previews
    h3 = html_preview(OUTPUTS["flux"])
    assert h3.layout.comm is not None and h3.layout is not h1.layout


def test_stream_preview_replaces_the_image() -> None:
    sp = StreamPreview()
    html_widget = sp.children[0]
    for step in range(5):
        sp.update(
            {"images": [{"url": f"https://x/partial_{step}.jpeg", "content_type": "image/jpeg"}]}
        )
        assert sp.children == (html_widget,)  # same widget, new content
        srcs = [i["src"] for i in tags(html_widget.value, "img")]
        assert srcs == [f"https://x/partial_{step}.jpeg"]
        assert f"<b>partial</b> {step + 1}" in html_widget.value
    final = dict(OUTPUTS["flux"])
    sp.update(final, final=True)
    assert sp.final and sp.count == 6 and "partial" not in html_widget.value
    assert len(tags(html_widget.value, "img")) == 4
    assert "fw-preview" in sp._dom_classes
    # a partial never builds a GLB viewer; the final one does
    sp2 = StreamPreview()
    sp2.update(OUTPUTS["meshy"])
    assert len(sp2.children) == 1
    sp2.update(OUTPUTS["meshy"], final=True)
    assert any(not isinstance(c, W.HTML) for c in sp2.children)


def test_preview_is_the_public_name() -> None:
    assert falwidgets.preview(OUTPUTS["video"]).blocks == preview(OUTPUTS["video"]).blocks
    assert falwidgets.preview is preview


def test_render_does_not_mutate_the_output() -> None:
    out = copy.deepcopy(OUTPUTS["meshy"])
    render(out)
    assert out == OUTPUTS["meshy"]
