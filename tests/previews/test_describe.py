"""describe(): results as JSON blocks for the anywidget front ends, through the preview registry."""

from __future__ import annotations

import collections
import json
from typing import Any

import ipywidgets as W
import pytest
from preview_cases import OUTPUTS

from falwidgets.previews import (
    BLOCK_KINDS,
    Block,
    Node,
    describe,
    describe_error,
    describe_stream,
    preview,
    register_block_kind,
    register_preview,
    registry,
)
from falwidgets.previews._glb import GLBViewer


@pytest.fixture(autouse=True)
def _restore_registry() -> object:
    with registry.restoring():
        yield


def kinds(blocks: list[dict[str, Any]]) -> list[str]:
    return [b["kind"] for b in blocks]


def test_flux_gallery_chips_with_units_and_collapsed_json() -> None:
    blocks = describe(OUTPUTS["flux"])
    assert kinds(blocks) == ["images", "chips", "json"]
    gallery = blocks[0]
    assert gallery["label"] == "Images" and len(gallery["items"]) == 4
    first = gallery["items"][0]
    assert first["url"] == OUTPUTS["flux"]["images"][0]["url"] == first["download"]
    assert (first["width"], first["height"]) == (1024, 768)
    chips = {c["name"]: (c["value"], c["unit"]) for c in blocks[1]["items"]}
    assert chips["seed"] == ("42", "")
    assert chips["inference"] == ("2.12", "s")  # fal's timings are seconds: shown with units
    assert blocks[2]["open"] is False  # collapsed when there is media
    assert json.loads(blocks[2]["text"]) == {
        "has_nsfw_concepts": [False] * 4,
        "prompt": "a red fox in the snow",
    }
    json.dumps(blocks)  # JSON-safe as it is


def test_players_keep_their_file_facts() -> None:
    (video, *_) = describe(OUTPUTS["video"])
    assert video["kind"] == "video" and video["url"] == OUTPUTS["video"]["video"]["url"]
    assert video["name"] == "out.mp4" and video["size"] == "1.2 MB"
    (audio, *_) = describe(OUTPUTS["audio"])
    assert audio["kind"] == "audio" and audio["url"].endswith("music.mp3")


def test_glb_is_a_child_viewer_only_when_the_caller_keeps_widgets() -> None:
    out = OUTPUTS["meshy"]
    plain = describe(out)
    (glb,) = [b for b in plain if b["kind"] == "glb"]
    assert glb["ref"] is None and glb["download"] == out["model_glb"]["url"]
    kept: list[Any] = []
    blocks = describe(out, widgets=kept)
    (viewer,) = kept  # model_glb and model_urls.glb are one file: one viewer
    assert isinstance(viewer, GLBViewer) and viewer.url == out["model_glb"]["url"]
    (glb,) = [b for b in blocks if b["kind"] == "glb"]
    assert glb["ref"] == f"anywidget:{viewer.model_id}"
    files = [b for b in blocks if b["kind"] == "files"]
    assert len(files) == 1 and files[0]["label"] == "Model urls"  # one heading, never empty
    urls = {i["url"] for i in files[0]["items"]}
    assert {out["model_urls"][f]["url"] for f in ("fbx", "usdz", "obj")} <= urls
    assert all(b.get("items", [1]) for b in blocks)  # no empty heading block
    viewer.close()


def test_detections_are_fractions_over_their_image_labelled_by_class() -> None:
    out = {
        "image": {"url": "https://x/p.png", "width": 200, "height": 100},
        "objects": [
            {"x_min": 20, "y_min": 10, "x_max": 120, "y_max": 60, "label": "cup"},
            {"x": 50, "y": 50, "label": "handle"},
        ],
    }
    assert "boxes" not in kinds(describe({"objects": out["objects"]}))  # no image: no overlay
    (boxes,) = describe(out)
    assert boxes["kind"] == "boxes" and boxes["image"]["url"] == "https://x/p.png"
    assert boxes["boxes"] == [{"x0": 0.1, "y0": 0.1, "x1": 0.6, "y1": 0.6, "label": "cup"}]
    assert boxes["points"] == [{"x": 0.25, "y": 0.5, "label": "handle"}]
    assert boxes["count"] == 2 and boxes["more"] == 0  # the image is not shown a second time
    unnamed = {"image": out["image"], "objects": [{"x_min": 0, "y_min": 0, "x_max": 9, "y_max": 9}]}
    assert describe(unnamed)[0]["boxes"][0]["label"] == "#1"
    named = describe(unnamed, inputs={"image_url": "https://x/p.png", "prompt": "cup"})
    assert named[0]["boxes"][0]["label"] == "cup 1"  # the class asked for, not a bare number


def test_unsafe_urls_are_blocked_text_and_never_a_link() -> None:
    hostile = {
        "video": {"url": "javascript:alert(1)"},
        "image_url": "data:text/html,<script>alert(1)</script>",
        "file": {"url": "java\tscript:alert(1)", "file_name": "<img src=x onerror=alert(1)>"},
    }
    blocks = describe(hostile)
    for block in blocks:
        for item in block.get("items", [block]):
            for key in ("url", "download"):
                value = item.get(key)
                assert value is None or value.startswith(("http://", "https://")), block
    blocked = [i for b in blocks if b["kind"] == "files" for i in b["items"] if i.get("blocked")]
    assert len(blocked) >= 2


def test_streamed_partial_is_one_stream_block_with_its_step() -> None:
    partial = {"images": [{"url": "https://x/p3.jpeg", "content_type": "image/jpeg"}]}
    (block,) = describe_stream(partial, step=3, total=8)
    assert block == {
        "kind": "stream",
        "step": 3,
        "total": 8,
        "blocks": describe(partial),
    }
    assert describe_stream(OUTPUTS["meshy"], step=1)[0]["blocks"][0]["kind"] != "widget"


def test_long_text_is_a_text_block_and_nothing_is_empty() -> None:
    blocks = describe({"text": "A transcript of the talk.", "chunks": []})
    assert blocks[0] == {"kind": "text", "label": "Text", "text": "A transcript of the talk."}
    assert describe(None) == [{"kind": "text", "label": "", "text": "no output"}]
    assert kinds(describe({"a": 1})) == ["json"] and describe({"a": 1})[0]["open"] is True


def test_user_factories_return_blocks_html_widgets_or_decline() -> None:
    register_preview(
        lambda n: n.key == "score",
        lambda n: {
            "kind": "chips",
            "items": [{"name": "score", "value": f"{n.value:.0%}", "unit": ""}],
        },
    )
    register_preview(lambda n: n.key == "note", lambda n: "<i>mine</i>")
    register_preview(lambda n: n.key == "level", lambda n: W.IntProgress(value=n.value))
    register_preview(lambda n: n.key == "skip", lambda n: None)
    register_preview(lambda n: n.key == "old", lambda n: Block("html", ["<b>old</b>"]))
    kept: list[Any] = []
    blocks = describe({"score": 0.5, "note": 1, "level": 3, "skip": 2, "old": 0}, widgets=kept)
    by_kind = collections.defaultdict(list)
    for block in blocks:
        by_kind[block["kind"]].append(block)
    assert by_kind["chips"][0]["items"][0]["value"] == "50%"
    assert by_kind["html"][0]["html"] == "<i>mine</i>"
    assert "<b>old</b>" in by_kind["html"][1]["html"]
    (widget,) = by_kind["widget"]
    (progress,) = kept
    assert widget["ref"] == f"anywidget:{progress.model_id}" and widget["stock"] is True
    assert json.loads(by_kind["json"][0]["text"]) == {"skip": 2}  # declined: left to JSON
    # without a widgets list, a widget-returning factory is named, not leaked
    assert describe({"level": 1})[0] == {
        "kind": "text",
        "label": "Level",
        "text": "(IntProgress widget)",
    }


def test_a_broken_user_entry_costs_an_error_block_not_the_result() -> None:
    def broken(node: Node) -> str:
        raise RuntimeError("<oops>")

    register_preview(lambda n: n.key == "seed", broken)
    blocks = describe(OUTPUTS["flux"])
    (error,) = [b for b in blocks if b["kind"] == "error"]
    assert "preview broken failed at seed" in error["title"] and "<oops>" in error["detail"]
    assert "images" in kinds(blocks)
    bad = register_preview(lambda n: n.key == "seed", lambda n: {"kind": "nope"})
    assert "unknown block kind" in describe({"seed": 1})[0]["detail"]
    bad.remove()


def test_user_block_kind_travels_with_the_widget() -> None:
    esm = "export default { render(el, block) { el.textContent = block.word; } };"
    remove = register_block_kind("word", esm)
    try:
        register_preview(lambda n: n.key == "word", lambda n: {"kind": "word", "word": n.value})
        w = preview({"word": "hi"})
        assert w.blocks == [{"kind": "word", "word": "hi"}] and w.kinds == {"word": esm}
        with pytest.raises(ValueError, match="new non-empty name"):
            register_block_kind("images", esm)
    finally:
        remove()
    assert "word" not in BLOCK_KINDS


def test_error_block_has_a_request_id_only_when_there_is_one() -> None:
    assert describe_error("Server unreachable", "is it running?") == {
        "kind": "error",
        "title": "Server unreachable",
        "detail": "is it running?",
        "request_id": None,
    }


def test_every_corpus_output_example_describes(corpus_outputs: dict[str, Any]) -> None:
    counts: collections.Counter[str] = collections.Counter()
    for stem, output in corpus_outputs.items():
        blocks = describe(output)
        json.dumps(blocks)
        assert blocks, stem
        for block in blocks:
            assert block["kind"] in BLOCK_KINDS and block["kind"] != "error", (stem, block)
            counts[block["kind"]] += len(block.get("items", [None]))
    # floors like test_corpus.py's for the HTML renderer: a detector that stops finding media fails
    assert counts["images"] > 380 and counts["video"] > 440, counts
    assert counts["audio"] > 85 and counts["glb"] > 25 and counts["boxes"] >= 2, counts


def test_one_widget_model_per_preview_two_with_a_glb_viewer() -> None:
    from ipywidgets.widgets.widget import _instances

    from falwidgets.previews._widget import shared_layout

    layout = shared_layout()  # one Layout model per kernel, shared by every view
    before = set(_instances)
    images = preview(OUTPUTS["flux"])
    assert len(set(_instances) - before) == 1 and images.layout is layout
    before = set(_instances)
    meshy = preview(OUTPUTS["meshy"])
    assert len(set(_instances) - before) == 2  # the preview and its GLB viewer
    meshy.update(OUTPUTS["flux"])  # the viewer goes with the result that needed it
    assert len(set(_instances) - before) == 1
