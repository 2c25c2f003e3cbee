"""One media table: an extension a user adds reaches previews, result blocks and history."""

from __future__ import annotations

import pytest

from falwidgets.previews import EXTENSIONS, as_media, describe, render
from falwidgets.runner._entry import first_image, first_media


def test_a_user_extension_reaches_every_layer(monkeypatch: pytest.MonkeyPatch) -> None:
    url = "https://cdn.example/photo.jxl"
    assert first_image({"result": {"url": url}}) is None
    monkeypatch.setitem(EXTENSIONS, "jxl", "image")
    assert as_media({"url": url}).kind == "image"  # type: ignore[union-attr]
    assert f'src="{url}"' in render({"result": {"url": url}}).html
    assert describe({"result": {"url": url}})[0]["kind"] == "images"  # the app's result pane
    assert first_image({"result": {"url": url}}) == url  # a history card's thumbnail


def test_first_media_finds_the_kind_of_a_card() -> None:
    assert first_media({"video": {"url": "https://h/v.webm"}}) == ("video", "https://h/v.webm")
    assert first_media({"model_mesh": {"url": "https://h/m.glb"}}) == ("model3d", "https://h/m.glb")
    assert first_media({"images": [{"url": "https://h/a.png"}]}) is None  # images: first_image
    assert first_image({"images": [{"url": "javascript:alert(1)//.png"}]}) is None
