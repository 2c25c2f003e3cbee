"""URL filtering and media detection: what may become a src/href, and what counts as a file."""

from __future__ import annotations

import pytest

from falwidgets.previews import as_media, esc, safe_url

PNG_DATA = "data:image/png;base64,iVBORw0KGgo="


@pytest.mark.parametrize(
    "url",
    [
        "https://v3.fal.media/files/a.png",
        "HTTP://example.com/x.mp4?sig=1#t",
        PNG_DATA,
        "data:video/mp4;base64,AAAA",
        "data:audio/wav;base64,UklGRg==",
        "data:model/gltf-binary;base64,Z2xURg==",
        "data:application/octet-stream;base64,Z2xURg==",
    ],
)
def test_safe_urls_pass(url: str) -> None:
    assert safe_url(url) == url
    assert safe_url(url, href=True) == url


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(1)",
        "JaVaScRiPt:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "https://ok.example/a.png\njavascript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "data:text/html;base64,PHNjcmlwdD4=",
        "data:application/javascript,alert(1)",
        "vbscript:msgbox",
        "file:///etc/passwd",
        "//evil.example/x.png",
        "ftp://x/y.png",
        "https://",
        "",
        None,
        42,
    ],
)
def test_unsafe_urls_refused(url: object) -> None:
    assert safe_url(url) is None
    assert safe_url(url, href=True) is None


def test_svg_data_uri_only_as_image_source() -> None:
    svg = "data:image/svg+xml;base64,PHN2Zz4="
    assert safe_url(svg) == svg
    assert safe_url(svg, href=True) is None


def test_esc_quotes_and_tags() -> None:
    assert esc('<img src=x onerror="a">') == "&lt;img src=x onerror=&quot;a&quot;&gt;"
    assert esc("it's") == "it&#x27;s"


@pytest.mark.parametrize(
    ("value", "name", "kind"),
    [
        ({"url": "https://x/a.png", "content_type": "image/png"}, "images", "image"),
        ({"url": "https://x/a", "content_type": "image/PNG"}, "", "image"),  # upper case, corpus
        ({"url": "https://x/out.mp4", "content_type": "application/octet-stream"}, "", "video"),
        ({"url": "https://x/v", "content_type": "video/mp4"}, "video", "video"),
        ({"url": "https://x/a.wav"}, "", "audio"),
        ({"url": "https://x/m.glb", "content_type": "application/octet-stream"}, "", "glb"),
        ({"url": "https://x/m", "content_type": "model/gltf-binary"}, "", "glb"),
        ({"url": "https://x/m.obj", "content_type": "text/plain"}, "", "model3d"),
        ({"url": "https://x/m.usdz", "content_type": "model/vnd.usdz+zip"}, "", "model3d"),
        ({"url": "https://x/abc"}, "image", "image"),  # name hint: moondream's ImageFile
        ({"url": "https://x/f.zip", "file_name": "f.zip", "file_size": 3}, "", "file"),
        ({"url": "https://x/f", "file_name": "weights.safetensors"}, "", "file"),
        ("https://x/clip.webm", "video_url", "video"),
        ("https://x/style", "image_style_url", "image"),
        ("https://x/a", "image_urls", "image"),
        ("https://x/a.png", "anything", "image"),
        (PNG_DATA, "", "image"),
        ("https://x/file", "download_url", "file"),
    ],
)
def test_media_by_shape(value: object, name: str, kind: str) -> None:
    ref = as_media(value, name)
    assert ref is not None
    assert ref.kind == kind
    assert ref.url is not None


@pytest.mark.parametrize(
    ("value", "name"),
    [
        ({"url": "https://fal.ai/models", "title": "a link in some JSON"}, "link"),
        ("https://fal.ai/models/flux", "homepage"),
        ("just a prompt", "prompt"),
        ("", "image_url"),
        ({"url": 3, "content_type": "image/png"}, ""),
        (["https://x/a.png"], "images"),  # a list is walked item by item, not one file
        (None, "image"),
    ],
)
def test_not_media(value: object, name: str) -> None:
    assert as_media(value, name) is None


def test_hostile_file_is_media_but_not_renderable() -> None:
    ref = as_media({"url": "javascript:alert(1)", "content_type": "image/png"}, "image")
    assert ref is not None and ref.kind == "image" and ref.url is None
    ref = as_media("javascript:alert(1)", "video_url")
    assert ref is not None and ref.url is None


def test_spec_media_breaks_ties() -> None:
    assert as_media("https://x/blob", "result", spec_media="audio") is not None
    assert as_media("https://x/blob", "result", spec_media="audio").kind == "audio"  # type: ignore[union-attr]
