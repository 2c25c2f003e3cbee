"""The live panel from Python: controls from the schema, edits streamed, frames shown."""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

import falwidgets
from falwidgets.client import AsyncClient
from falwidgets.runner._live import frame_image, live_controls
from realtime_util import realtime_test_endpoints, wait_until


def test_controls_come_from_the_schema() -> None:
    lcm = {c["name"]: c for c in live_controls("fal-ai/fast-lcm-diffusion")}
    assert list(lcm) == ["prompt", "seed", "guidance_scale"]
    assert (lcm["guidance_scale"]["min"], lcm["guidance_scale"]["max"]) == (0, 20)
    assert lcm["guidance_scale"]["default"] == 1.5
    klein = {c["name"]: c for c in live_controls("fal-ai/flux-2/klein/realtime")}
    assert list(klein) == ["prompt", "seed", "output_feedback_strength"]
    assert klein["seed"]["default"] == 35 and klein["prompt"]["default"].startswith("Turn this")
    bare = live_controls("me/no-such-schema")
    assert [c["kind"] for c in bare] == ["prompt", "seed"]


def test_frame_images_from_every_result_shape() -> None:
    jpeg = b"\xff\xd8\xff\xe0fake"
    data_uri = "data:image/jpeg;base64," + base64.b64encode(jpeg).decode()
    assert frame_image({"images": [{"url": data_uri}]}).data == jpeg
    assert frame_image({"images": [{"content": jpeg, "content_type": "image/png"}]}).mime == (
        "image/png"
    )
    assert frame_image({"image": {"url": "https://x.test/a.jpg"}}).url == "https://x.test/a.jpg"
    assert frame_image({"images": [{"url": "javascript:alert(1)"}]}) is None
    assert frame_image({"text": "no picture"}) is None


def test_live_panel_streams_the_latest_edit(local_server: Any) -> None:
    client = AsyncClient(base_url=local_server.url, journal=False)
    panel = falwidgets.live("fal-ai/flux-2/klein/realtime", client=client)
    try:
        assert panel.value["seed"] == 35
        for text in ("a", "a f", "a fox", "a fox in", "a fox in snow"):
            panel.value = {**panel.value, "prompt": text}
        wait_until(lambda: panel.frame_prompt == "a fox in snow", 15, "the last edit's frame")
        assert 1 <= panel.frames <= 5  # latest wins: intermediate edits may be skipped
        assert Image.open(io.BytesIO(panel.frame)).size == (512, 512)
        assert panel.latency_ms > 0 and panel.error == ""
        panel.live = False
        panel.value = {**panel.value, "prompt": "not sent"}
        frames = panel.frames
        panel.live = True  # switching on sends the current value
        wait_until(lambda: panel.frame_prompt == "not sent", 15, "the frame after Live is on")
        assert panel.frames == frames + 1
    finally:
        panel.close()


def test_live_rejects_a_bad_endpoint_id() -> None:
    with pytest.raises(ValueError, match="endpoint"):
        falwidgets.live("not an id")


def test_live_panel_with_a_sync_client(local_server: Any) -> None:
    from falwidgets.client import Client

    panel = falwidgets.live(
        "fal-ai/fast-lcm-diffusion", client=Client(base_url=local_server.url, journal=False)
    )
    try:
        panel.value = {**panel.value, "prompt": "sync client"}
        wait_until(lambda: panel.frame_prompt == "sync client", 15, "a frame")
        assert Image.open(io.BytesIO(panel.frame)).format == "JPEG"
        assert panel.frame_mime == "image/jpeg" and panel.frame_url == ""
    finally:
        panel.close()


def test_realtime_capable_endpoints() -> None:
    from falwidgets.runner import realtime_capable

    assert realtime_capable("fal-ai/fast-lcm-diffusion")
    assert realtime_capable("decart/lucy2-realtime/realtime")
    assert not realtime_capable("fal-ai/flux-realism")
    marked = {"paths": {"/realtime": {"x-fal-protocol": {"type": "realtime"}}}}
    assert realtime_capable("me/my-app", marked)
    assert not realtime_capable("me/my-app", {"paths": {"/": {"post": {}}}})
    with realtime_test_endpoints():  # served here with @endpoint(..., realtime=...)
        assert realtime_capable("test/rt-echo")
        assert not realtime_capable("test/not-realtime")
