"""compare(), canonical input mapping, use_in() and browse() against the local server."""

from __future__ import annotations

import asyncio
from typing import Any

import httpx
import pytest

import falwidgets
from falwidgets.client import AsyncClient
from falwidgets.runner._browse import Browser, catalog_index
from falwidgets.runner._chain import endpoints_taking
from falwidgets.runner._costs import ConfirmationRequired
from falwidgets.schema import load_endpoint
from falwidgets.schema._canonical import map_inputs
from realtime_util import wait_until

T2I = ["fal-ai/flux-realism", "fal-ai/imagen4/preview", "fal-ai/fast-lcm-diffusion"]
CANONICAL = {
    "prompt": "a red fox",
    "negative_prompt": "blurry",
    "image_size": "square",
    "seed": 3,
    "num_images": 1,
}


def _accepted(server: Any, endpoint: str) -> int:
    body = httpx.get(f"{server.url}/_falwidgets/submissions", timeout=10).json()
    return sum(c["count"] for c in body["submissions"] if c["endpoint"] == endpoint)


def test_canonical_inputs_map_by_role() -> None:
    imagen = map_inputs(
        "fal-ai/imagen4/preview", load_endpoint("fal-ai/imagen4/preview").input, CANONICAL
    )
    assert imagen.arguments["aspect_ratio"] == "1:1"  # a size becomes the nearest aspect ratio
    assert imagen.used["image_size"] == "aspect_ratio"
    assert set(imagen.dropped) == {"negative_prompt", "seed"}
    toon = map_inputs(
        "fal-ai/toon-crafter",
        load_endpoint("fal-ai/toon-crafter").input,
        {"prompt": "p", "image": "https://x.test/a.png"},
    )
    assert toon.arguments["keyframe_image_urls"] == ["https://x.test/a.png"]  # one -> list
    kling = "fal-ai/kling-video/v2.1/standard/image-to-video"
    mapped = map_inputs(kling, load_endpoint(kling).input, {"prompt": "p", "duration": 7})
    assert mapped.arguments["duration"] in ("5", "10")  # nearest allowed value
    assert "image_url" in mapped.missing  # required and not given
    with pytest.raises(ValueError, match="unknown canonical input 'steps'"):
        map_inputs(kling, load_endpoint(kling).input, {"steps": 3})


def test_compare_runs_models_in_parallel_side_by_side(local_server: Any) -> None:
    async def scenario() -> Any:
        c = falwidgets.compare(T2I, CANONICAL, client=AsyncClient(base_url=local_server.url))
        await asyncio.wait_for(c.wait_async(), 90)
        return c

    c = asyncio.run(scenario())
    assert c.done
    cells = {cell["endpoint_id"]: cell for cell in c.view.cells}
    assert list(cells) == T2I
    for cell in cells.values():
        assert cell["state"] == "done", cell
        assert cell["media"] and cell["media"][0]["kind"] == "image"
        assert cell["elapsed"] is not None and cell["cost"].startswith("est. $")
    assert cells["fal-ai/imagen4/preview"]["dropped"] == ["negative_prompt", "seed"]
    assert cells["fal-ai/flux-realism"]["cost"] == "est. $0.025"
    assert "3/3 done" in c.view.summary and "estimated total $0.068" in c.cost.label.value
    opened = c.load("fal-ai/imagen4/preview")
    assert opened.form.value["aspect_ratio"] == "1:1" and opened.form.value["prompt"] == "a red fox"
    c.close()


def test_compare_above_threshold_waits_for_confirmation(
    local_server: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("FALWIDGETS_CONFIRM_ABOVE", "0.01")
    before = _accepted(local_server, "fal-ai/imagen4/preview")
    c = falwidgets.compare(T2I[:2], CANONICAL, client=AsyncClient(base_url=local_server.url))
    assert c.cost.held and not c.done
    with pytest.raises(ConfirmationRequired):
        c.wait()
    assert _accepted(local_server, "fal-ai/imagen4/preview") == before
    c.confirm()  # in a script, returns once every run has finished
    assert c.done and _accepted(local_server, "fal-ai/imagen4/preview") == before + 1


def test_compare_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="1 to 8"):
        falwidgets.compare([], CANONICAL)
    with pytest.raises(ValueError, match="needs inputs"):
        falwidgets.compare(T2I, {})


def test_use_in_lists_endpoints_taking_the_kind_and_prefills() -> None:
    videos = endpoints_taking("video", "upscale")
    assert videos and all(t.field.endswith(("video_url", "video")) for t in videos[:5])
    assert "fal-ai/video-upscaler" in [t.endpoint_id for t in videos]
    assert {t.endpoint_id for t in endpoints_taking("glb")} == {
        t.endpoint_id for t in endpoints_taking("model3d")
    }
    with pytest.raises(ValueError, match="unknown media kind"):
        endpoints_taking("smell")
    picker = falwidgets.use_in("https://v3.fal.media/files/fox.png")
    assert picker.kind == "image" and len(picker.targets) > 100
    picker.search.value = "toon crafter"
    assert picker.choices.options[0][1] == "fal-ai/toon-crafter"
    opened = picker.pick("fal-ai/toon-crafter")
    assert opened.form.value["keyframe_image_urls"] == ["https://v3.fal.media/files/fox.png"]
    picker.close()


def test_app_inputs_prefill_and_unknown_field() -> None:
    a = falwidgets.app("fal-ai/flux-realism", inputs={"prompt": "hello", "seed": 5})
    assert a.form.value["prompt"] == "hello" and a.form.value["seed"] == 5
    with pytest.raises(ValueError, match="no field 'nope'"):
        falwidgets.app("fal-ai/flux-realism", inputs={"nope": 1})
    a.close()


def test_catalog_index_search() -> None:
    index = catalog_index()
    assert len(index) >= 1340
    found = [r["endpoint_id"] for r in index.search("flux dev")]
    assert found[0] == "fal-ai/flux/dev"
    assert all(
        r["metadata"]["category"] == "text-to-speech"
        for r in index.search(None, category="text-to-speech")
    )
    assert index.search("zzzz-no-such-model") == []


def test_browse_offline_search_chips_and_pick(local_server: Any) -> None:
    b = Browser("flux", client=AsyncClient(base_url=local_server.url), live=False)
    assert len(b.endpoint_ids) >= 20 and "fal-ai/flux/dev" in b.endpoint_ids
    assert "models in the bundled catalogue" in b.view.status
    card = b.view.results[0]
    assert set(card) >= {"endpoint_id", "display_name", "category", "thumbnail_url", "price"}
    assert ["text-to-image", 155] in b.view.categories or any(
        c[0] == "text-to-image" for c in b.view.categories
    )
    b.view.query = "upscale video"  # what typing does
    assert b.endpoint_ids[0] == "fal-ai/video-upscaler"
    b.view.category = "text-to-speech"  # a chip
    assert all(c["category"] == "text-to-speech" for c in b.view.results)
    opened = b.pick("fal-ai/flux-realism")
    assert opened.endpoint == "fal-ai/flux-realism" and b.slot.children == (opened,)
    b.close()


def test_browse_live_uses_v1_models(local_server: Any) -> None:
    b = Browser("kling", client=AsyncClient(base_url=local_server.url), live=True)
    wait_until(lambda: b.view.status.endswith(" in fal"), 30, "the live search answer")
    assert len(b.endpoint_ids) == 60 and "kling" in b.endpoint_ids[0]
    b.close()
