"""Realtime demos: `fal-ai/fast-lcm-diffusion` and `fal-ai/flux-2/klein/realtime`.

Both draw a new picture from prompt + seed + strength in a few milliseconds (numpy waves coloured
by the prompt, the prompt written on top, JPEG-encoded), so a live panel can follow typing. They
are registered with `realtime=RealtimeOptions(...)`, the same way users serve their own realtime
functions, and also answer through the queue like any endpoint.

- `fast-lcm-diffusion` answers like fal's realtime app in sync mode: `images[].url` is a JPEG data
  URI; its knob is `guidance_scale` (strength = guidance / 20).
- `flux-2/klein/realtime` answers with raw bytes (`images[].content`), as its published output
  schema says; its knob is `output_feedback_strength`. The bundled document drops `image_url` from
  the required fields: with no source image, the seed's picture stands in for it.

Pictures are 512 px on the long side unless `image_size` is an explicit `{width, height}` (at most
1024 a side): realtime is about frame rate, and fal's realtime apps also work at small sizes.
"""

from __future__ import annotations

import base64
import functools
import hashlib
import io
import textwrap
import time
from typing import Any

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from falwidgets.server._context import JobContext, seed_from
from falwidgets.server._realtime import RealtimeOptions
from falwidgets.server._registry import EndpointDef, register
from falwidgets.server.demos import as_dict, document, models

SIDE = 512
MAX_SIDE = 1024
_PHASES = np.array([0.0, 2.094, 4.189], dtype=np.float32)  # 0, 120, 240 degrees: R, G, B


@functools.lru_cache(maxsize=8)
def _grid(width: int, height: int) -> tuple[np.ndarray, np.ndarray]:
    ys, xs = np.mgrid[0:height, 0:width].astype(np.float32)
    return xs / max(1, width), ys / max(1, height)


@functools.lru_cache(maxsize=4)
def _font(size: int) -> ImageFont.ImageFont | ImageFont.FreeTypeFont:
    return ImageFont.load_default(size=size)


def frame_size(value: Any) -> tuple[int, int]:
    """(width, height): 512 px on the long side for presets, an explicit size capped at 1024."""
    if isinstance(value, dict) and value.get("width") and value.get("height"):
        return (
            max(16, min(MAX_SIDE, int(value["width"]))),
            max(16, min(MAX_SIDE, int(value["height"]))),
        )
    ratios = {"portrait_4_3": (3, 4), "portrait_16_9": (9, 16), "landscape_4_3": (4, 3)}
    ratios["landscape_16_9"] = (16, 9)
    w, h = ratios.get(str(value), (1, 1))
    scale = SIDE / max(w, h)
    return int(w * scale) // 8 * 8, int(h * scale) // 8 * 8


def draw_frame(prompt: str, seed: int, strength: float, width: int, height: int) -> Image.Image:
    """Interference waves: the seed picks the waves, the prompt the colours, strength the swirl."""
    rng = np.random.default_rng(seed & 0xFFFFFFFF)
    waves = rng.uniform(-6.0, 6.0, size=(3, 2)).astype(np.float32)
    phases = rng.uniform(0, 6.283, size=3).astype(np.float32)
    digest = hashlib.sha256(prompt.encode()).digest()
    hue = digest[0] / 255.0 * 6.283
    tint = np.frombuffer(digest[1:4], dtype=np.uint8).astype(np.float32) / 255.0
    xs, ys = _grid(width, height)
    strength = float(min(1.0, max(0.0, strength)))
    field = np.zeros_like(xs)
    for (fx, fy), phase in zip(waves, phases, strict=True):
        field += np.sin(6.283 * (fx * xs + fy * ys) + phase)
    swirl = field * (0.6 + 2.4 * strength) + hue
    rgb = 0.5 + 0.5 * np.sin(swirl[..., None] + _PHASES)
    rgb = rgb * (0.55 + 0.45 * tint) * 255.0
    picture = Image.fromarray(rgb.astype(np.uint8), "RGB")
    canvas = ImageDraw.Draw(picture)
    font = _font(max(12, min(width, height) // 22))
    text = "\n".join(textwrap.wrap((prompt or "(no prompt)")[:200], width=36)[:3])
    margin = max(8, width // 48)
    box = canvas.multiline_textbbox((margin, margin), text, font=font)
    canvas.rectangle((box[0] - 4, box[1] - 4, box[2] + 4, box[3] + 4), fill=(0, 0, 0))
    canvas.multiline_text((margin, margin), text, font=font, fill=(255, 255, 255))
    return picture


def jpeg(picture: Image.Image, quality: int = 80) -> bytes:
    buffer = io.BytesIO()
    picture.save(buffer, "JPEG", quality=quality)
    return buffer.getvalue()


def _seed(args: dict[str, Any]) -> int:
    seed = args.get("seed")
    return int(seed) if seed is not None else seed_from(args.get("prompt", ""))


def fast_lcm(inp: Any) -> dict[str, Any]:
    """Text to image in a few steps (LCM stand-in); sync-mode output with data URIs."""
    started = time.perf_counter()
    args = as_dict(inp)
    prompt, seed = args.get("prompt") or "", _seed(args)
    width, height = frame_size(args.get("image_size"))
    strength = float(args.get("guidance_scale") or 0.0) / 20.0
    data = jpeg(draw_frame(prompt, seed, strength, width, height))
    url = "data:image/jpeg;base64," + base64.b64encode(data).decode("ascii")
    return {
        "images": [{"url": url, "width": width, "height": height, "content_type": "image/jpeg"}],
        "timings": {"inference": round(time.perf_counter() - started, 5)},
        "seed": seed,
        "has_nsfw_concepts": [False],
        "prompt": prompt,
    }


def klein_realtime(inp: Any, ctx: JobContext | None = None) -> dict[str, Any]:
    """Realtime image editing (FLUX.2 klein stand-in); raw JPEG bytes in `images[].content`.

    Realtime calls get no job context (`ctx` None) and answer with bytes, which msgpack carries;
    through the queue (JSON) the picture is saved as a file and answered by URL instead.
    """
    args = as_dict(inp)
    prompt, seed = args.get("prompt") or "", _seed(args)
    width, height = frame_size(args.get("image_size"))
    strength = args.get("output_feedback_strength")
    strength = 1.0 if strength is None else float(strength)
    data = jpeg(draw_frame(prompt, seed, strength, width, height))
    size = {"width": width, "height": height}
    if ctx is not None:
        saved = ctx.save(data, f"klein-{seed}.jpg", "image/jpeg")
        return {"images": [{**saved, **size}], "seed": seed}
    return {"images": [{"content": data, "content_type": "image/jpeg", **size}], "seed": seed}


def _register(endpoint_id: str, func: Any, options: RealtimeOptions) -> None:
    input_model, _ = models(endpoint_id)
    register(
        EndpointDef(
            endpoint_id,
            func,
            input=input_model,
            output=None,  # raw bytes and data URIs: the output models' "string" would refuse bytes
            document=document(endpoint_id),
            description=(func.__doc__ or "").split("\n", 1)[0],
            realtime=options,
        )
    )


# fal's realtime apps keep a couple of inputs and drop older ones; idle sessions end after ~10 s
_register("fal-ai/fast-lcm-diffusion", fast_lcm, RealtimeOptions(buffering=2))
_register("fal-ai/flux-2/klein/realtime", klein_realtime, RealtimeOptions(buffering=2))
