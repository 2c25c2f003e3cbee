"""Third-wave review fixes: a tag on every detection box, JSON summaries that name their fields."""

from __future__ import annotations

from falwidgets.previews import render
from falwidgets.previews._walk import field_names

IMAGE = {"url": "https://example.org/a.png", "content_type": "image/png"}


def test_every_box_gets_a_tag_label_score_or_index_escaped() -> None:
    objects = [
        {"x_min": 0.1, "y_min": 0.1, "x_max": 0.3, "y_max": 0.3},
        {"x_min": 0.4, "y_min": 0.4, "x_max": 0.6, "y_max": 0.6, "label": "<b>cat</b>"},
        {"x_min": 0.5, "y_min": 0.1, "x_max": 0.9, "y_max": 0.3, "label": "dog", "score": 0.876},
    ]
    html = render({"image": IMAGE, "objects": objects}).html
    assert "<span>#1</span>" in html  # no label: the box's number
    assert "<span>&lt;b&gt;cat&lt;/b&gt;</span>" in html and "<b>cat</b>" not in html
    assert "<span>dog 0.88</span>" in html


def test_json_summary_lists_field_names_truncated() -> None:
    html = render({"has_nsfw_concepts": [False], "prompt": "a cat"}).html
    assert "JSON · has_nsfw_concepts, prompt</summary>" in html
    many = {f"field_number_{i}": i for i in range(12)}
    summary = field_names(many)
    assert summary.startswith("field_number_0, field_number_1") and summary.endswith(" more")
    assert len(summary) < 90
    assert "&lt;x&gt;" in render({"<x>": 1, "y": {"z": [1, 2]}}).html.split("</summary>")[0]
    assert field_names({}) == "empty"


def test_glb_viewer_matches_image_width_and_model_urls_do_not_repeat_it() -> None:
    mesh = {"url": "https://example.org/m.glb", "content_type": "model/gltf-binary"}
    fbx = {"url": "https://example.org/m.fbx"}
    rendered = render({"model_mesh": mesh, "model_urls": {"glb": mesh, "fbx": fbx}})
    (viewer,) = [s for s in rendered.segments if not isinstance(s, str)]
    assert viewer.layout.max_width == "512px" and viewer.layout.width == "100%"
    text = "".join(s for s in rendered.segments if isinstance(s, str))
    assert text.count('href="https://example.org/m.glb"') == 1  # one link, beside the viewer
    assert 'href="https://example.org/m.fbx"' in text  # other formats stay download links
