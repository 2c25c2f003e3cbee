"""``reliability/hostile``: an endpoint whose every piece of text tries to run script."""

from __future__ import annotations

import io
from typing import Any

from pydantic import BaseModel

ENDPOINT = "reliability/hostile"
# each payload sets window.__pwned to a number naming where it came from
IMG = '<img src=x onerror="window.__pwned=(window.__pwned||[]).concat({n})">'
SCRIPT = "<script>window.__pwned=(window.__pwned||[]).concat({n})</script>"
BAD_URLS = (
    "javascript:window.__pwned=(window.__pwned||[]).concat(50)",
    "JaVaScRiPt:window.__pwned=(window.__pwned||[]).concat(51)",
    "data:text/html,<script>window.__pwned=(window.__pwned||[]).concat(52)</script>",
    "data:text/html;base64,PHNjcmlwdD53aW5kb3cuX19wd25lZD0xPC9zY3JpcHQ+",
    " javascript:window.__pwned=(window.__pwned||[]).concat(53)",
)


class HostileIn(BaseModel):
    mode: str = "output"  # "output" or "fail"


def _png() -> bytes:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), (200, 30, 30)).save(buffer, "PNG")
    return buffer.getvalue()


def register() -> None:
    from falwidgets.server import FieldError, endpoint, endpoints

    if ENDPOINT in endpoints():
        return

    @endpoint(ENDPOINT, input=HostileIn)
    def hostile(inp: HostileIn, ctx: Any) -> dict[str, Any]:
        ctx.log(IMG.format(n=1))
        ctx.log(SCRIPT.format(n=2), "ERROR")
        if inp.mode == "fail":
            raise RuntimeError(IMG.format(n=3) + SCRIPT.format(n=4))
        if inp.mode == "field":
            raise FieldError("mode", IMG.format(n=5))
        real = ctx.save(_png(), "real.png", "image/png")
        return {
            "text": SCRIPT.format(n=10) + IMG.format(n=11),
            "images": [
                {**real, "file_name": IMG.format(n=12)},
                {"url": BAD_URLS[0], "content_type": "image/png", "file_name": "a.png"},
                {"url": BAD_URLS[2], "content_type": "image/png"},
            ],
            "video": {
                "url": BAD_URLS[1],
                "content_type": "video/mp4",
                "file_name": SCRIPT.format(n=13),
            },
            "audio": {"url": BAD_URLS[3], "content_type": "audio/wav"},
            "file_url": BAD_URLS[4],
            "model_glb": {"url": BAD_URLS[0], "content_type": "model/gltf-binary"},
            IMG.format(n=14): SCRIPT.format(n=15),  # a hostile key too
            "seed": 42,
        }
