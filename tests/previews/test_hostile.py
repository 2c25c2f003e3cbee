"""Outputs written by an attacker: nothing executable may reach the HTML widget."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from preview_cases import parse_html

from falwidgets.previews import render

XSS = [
    "<img src=x onerror=alert(1)>",
    "<script>alert(1)</script>",
    '"><svg onload=alert(1)>',
    "javascript:alert(1)",
    "JAVASCRIPT:alert(1)",
    "java\nscript:alert(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
    "data:image/svg+xml,<svg onload=alert(1)>",
    "' onmouseover='alert(1)",
    "</pre></details><script>alert(1)</script>",
    "</style><script>alert(1)</script>",
]

HOSTILE = {
    "images": [
        {"url": "javascript:alert(1)", "content_type": "image/png", "file_name": XSS[0]},
        {"url": 'https://x/a.png" onerror="alert(1)', "content_type": "image/png"},
        {"url": "https://x/b.png", "content_type": "image/png", "file_name": XSS[2]},
    ],
    "video": {"url": "data:text/html,<script>alert(1)</script>", "content_type": "video/mp4"},
    "audio_url": "vbscript:msgbox(1)",
    "model_glb": {"url": "javascript:alert(1)//.glb", "content_type": "model/gltf-binary"},
    "file": {"url": "https://x/f.bin", "file_name": XSS[1], "file_size": 10},
    "objects": [{"x_min": 0, "y_min": 0, "x_max": 1, "y_max": 1, "label": XSS[1]}],
    "image": {"url": "https://x/i.png", "file_name": XSS[3]},
    "seed": XSS[1],
    "timings": {XSS[0]: 1.0},
    XSS[1]: XSS[10],
    "nested": {"deep": [XSS[11], {"video_url": XSS[5]}]},
}


def test_hostile_output_renders_only_safe_markup(check_html: Callable[[str], Any]) -> None:
    r = render(HOSTILE)
    assert r.widgets == []  # the javascript: GLB never reaches a viewer
    checker = check_html(r.html)
    text = "".join(checker.text)
    # the hostile strings are visible to the user as text, not swallowed
    assert "javascript:alert(1)" in text and "<script>alert(1)</script>" in text
    assert "vbscript:msgbox(1)" in text
    for tag, attrs in checker.tags:
        if tag in ("img", "video", "audio", "a"):
            assert (attrs.get("src") or attrs.get("href") or "").startswith("https://x/")
    srcs = [a["src"] for t, a in checker.tags if t == "img"]
    assert srcs == ["https://x/b.png", "https://x/i.png"]  # the quoted-attribute URL is refused
    assert "fw-blocked" in r.html


def test_hostile_values_inside_spec_titles(check_html: Callable[[str], Any]) -> None:
    from falwidgets.schema import FieldSpec

    spec = FieldSpec(
        name="", kind="object", properties=(FieldSpec(name="images", kind="array", title=XSS[1]),)
    )
    check_html(render({"images": [{"url": "https://x/a.png"}]}, spec=spec).html)


json_leaf = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False),
    st.sampled_from(XSS),
    st.text(max_size=30),
)
keys = st.one_of(
    st.sampled_from(
        ["url", "content_type", "image", "video_url", "seed", "objects", "x_min", "label"]
    ),
    st.sampled_from(XSS),
    st.text(max_size=8),
)
json_values = st.recursive(
    json_leaf,
    lambda children: st.lists(children, max_size=4) | st.dictionaries(keys, children, max_size=5),
    max_leaves=25,
)


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_values)
def test_any_output_renders_safely(output: Any) -> None:
    html = render(output).html
    checker = parse_html(html)
    assert not checker.problems, checker.problems
