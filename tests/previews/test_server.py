"""Previews of real results from the local demo server: every media src is fetchable real media."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image
from preview_cases import parse_html

from falwidgets.client import Client
from falwidgets.previews import StreamPreview, preview, render
from falwidgets.schema import load_endpoint


@pytest.fixture(scope="module")
def client(local_server: Any) -> Client:
    return Client(base_url=local_server.url)


def _srcs(html: str, tag: str) -> list[str]:
    return [a["src"] or "" for t, a in parse_html(html).tags if t == tag]


def test_flux_realism_gallery_images_load(client: Client) -> None:
    out = client.run("fal-ai/flux-realism", {"prompt": "a fox in the snow", "num_images": 2})
    w = preview(out, spec=load_endpoint("fal-ai/flux-realism"))
    (gallery,) = [b for b in w.blocks if b["kind"] == "images"]
    srcs = [item["url"] for item in gallery["items"]]
    assert srcs == [im["url"] for im in out["images"]] and len(srcs) == 2
    for src in srcs:
        response = httpx.get(src, timeout=10)
        assert response.status_code == 200
        assert Image.open(io.BytesIO(response.content)).size == (1024, 768)
    chips = [c for b in w.blocks if b["kind"] == "chips" for c in b["items"]]
    assert {"name": "seed", "value": str(out["seed"]), "unit": ""} in chips


def test_music_and_video_players(client: Client) -> None:
    out = client.run(
        "fal-ai/minimax-music/v1.5", load_endpoint("fal-ai/minimax-music/v1.5").example()
    )
    (src,) = _srcs(render(out).html, "audio")
    head = httpx.get(src, timeout=10)
    assert head.status_code == 200 and len(head.content) > 1000
    out = client.run("anthonywu/gamecraft", load_endpoint("anthonywu/gamecraft").example())
    (src,) = _srcs(render(out).html, "video")
    assert src == out["video"]["url"] and httpx.get(src, timeout=10).status_code == 200


def test_meshy_glb_viewer_and_detection_boxes(client: Client) -> None:
    from falwidgets.previews._glb import GLBViewer

    ep = "fal-ai/meshy/v5/multi-image-to-3d"
    out = client.run(ep, load_endpoint(ep).example())
    r = render(out)
    (viewer,) = r.widgets
    assert isinstance(viewer, GLBViewer) and viewer.url == out["model_glb"]["url"]
    assert httpx.get(viewer.url, timeout=10).content[:4] == b"glTF"
    assert _srcs(r.html, "img") == [out["thumbnail"]["url"]]

    ep = "fal-ai/moondream3-preview/detect"
    out = client.run(ep, load_endpoint(ep).example())
    html = render(out).html
    assert 'class="fw-boxes"' in html
    assert html.count('class="fw-box"') == len(out["objects"]) > 0
    assert _srcs(html, "img") == [out["image"]["url"]]


def test_stream_partials_replace_each_other(client: Client) -> None:
    sp = StreamPreview()
    seen = []
    for event in client.stream("fal-ai/flux-krea-lora/stream", {"prompt": "a fox"}):
        sp.update(event)
        seen.append(_srcs(sp.children[0].value, "img"))
    assert len(seen) >= 2
    assert all(len(s) == len(seen[0]) for s in seen)  # replaced, not appended
    assert seen[0] != seen[-1]
