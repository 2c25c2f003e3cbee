"""The demo video endpoints make a video that Chromium really plays (issue 3).

The local server runs toon-crafter and gamecraft through fal's synchronous run path; the returned
video URL is put in a plain ``<video>`` element, which must load metadata and frames, report a
positive duration, and advance when played.
"""

from __future__ import annotations

import html
import io
from typing import Any

import httpx
import pytest

pytestmark = pytest.mark.browser


def _png(colour: tuple[int, int, int]) -> bytes:
    from PIL import Image, ImageDraw

    image = Image.new("RGB", (256, 192), colour)
    ImageDraw.Draw(image).ellipse((64, 40, 192, 152), fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _upload(server_url: str, data: bytes, name: str) -> str:
    answer = httpx.post(
        f"{server_url}/files/upload",
        content=data,
        headers={"content-type": "image/png", "x-fal-file-name": name},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()["access_url"]


def _inputs(endpoint: str, server_url: str) -> dict[str, Any]:
    first = _upload(server_url, _png((220, 60, 40)), "first.png")
    if endpoint == "fal-ai/toon-crafter":
        second = _upload(server_url, _png((40, 90, 220)), "second.png")
        return {"keyframe_image_urls": [first, second], "steps": 4, "seed": 7}
    return {"image": {"url": first}, "prompt": "a walk through a red room", "infer_steps": 2}


_FRAME_COLOUR_JS = """
async (fraction) => {
  const v = document.getElementById('v');
  v.pause();
  await new Promise((resolve) => {
    v.addEventListener('seeked', resolve, { once: true });
    v.currentTime = Math.min(v.duration * fraction, Math.max(v.duration - 0.01, 0));
  });
  const c = document.createElement('canvas');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const ctx = c.getContext('2d');
  ctx.drawImage(v, 0, 0);
  return Array.from(ctx.getImageData(4, 4, 1, 1).data);  // a corner: background, not the disc
}
"""


@pytest.mark.parametrize("endpoint", ["fal-ai/toon-crafter", "anthonywu/gamecraft"])
def test_demo_video_plays_in_chromium(
    endpoint: str, local_server: Any, browser_context: Any, artifacts_dir: Any
) -> None:
    answer = httpx.post(
        f"{local_server.url}/run/{endpoint}", json=_inputs(endpoint, local_server.url), timeout=120
    )
    assert answer.status_code == 200, answer.text[:500]
    video = answer.json()["video"]
    assert video["url"].startswith("http://127.0.0.1:")
    assert video.get("content_type", "video/").startswith("video/")

    page = browser_context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda err: errors.append(str(err)))
    try:
        page.set_content(
            f'<video id="v" muted playsinline preload="auto" crossorigin="anonymous" '
            f'src="{html.escape(video["url"], quote=True)}"></video>'
        )
        page.wait_for_function(
            "() => { const v = document.getElementById('v');"
            " return v.readyState >= 2 || v.error !== null; }",
            timeout=30_000,
        )
        state = page.evaluate(
            "() => { const v = document.getElementById('v'); return {ready: v.readyState,"
            " duration: v.duration, width: v.videoWidth, height: v.videoHeight,"
            " error: v.error && v.error.message}; }"
        )
        assert state["error"] is None, state
        assert state["ready"] >= 2, state
        assert state["duration"] > 0, state
        assert state["width"] > 0 and state["height"] > 0, state
        page.evaluate("() => document.getElementById('v').play()")
        page.wait_for_function("() => document.getElementById('v').currentTime > 0", timeout=15_000)
        if endpoint == "fal-ai/toon-crafter":  # made from a red and a blue keyframe
            first, last = (page.evaluate(_FRAME_COLOUR_JS, t) for t in (0.0, 0.97))
            assert first[0] > first[2] + 60, first  # red dominates at the start
            assert last[2] > last[0] + 60, last  # blue at the end
        slug = endpoint.replace("/", "__")
        page.locator("#v").screenshot(path=str(artifacts_dir / f"video-{slug}.png"))
        assert not errors
    finally:
        page.close()
