"""Detection demo: fal-ai/moondream3-preview/detect -> normalised boxes and an annotated image."""

from __future__ import annotations

import random
from typing import Any

from PIL import Image, ImageDraw

from falwidgets.server._context import JobContext, seed_from
from falwidgets.server._registry import EndpointDef, register
from falwidgets.server.demos import _images, as_dict, document, models

FALLBACK_SIZE = (768, 512)


def boxes(seed: int, count: int) -> list[dict[str, float]]:
    """`count` seeded boxes with 0 <= min < max <= 1 on both axes."""
    rng = random.Random(seed)
    found = []
    for _ in range(count):
        w, h = 0.15 + rng.random() * 0.3, 0.15 + rng.random() * 0.3
        x, y = rng.random() * (1 - w), rng.random() * (1 - h)
        found.append(
            {
                "x_min": round(x, 4),
                "y_min": round(y, 4),
                "x_max": round(x + w, 4),
                "y_max": round(y + h, 4),
            }
        )
    return found


def _annotate(image: Image.Image, objects: list[dict[str, float]], prompt: str) -> Image.Image:
    annotated = image.copy()
    canvas = ImageDraw.Draw(annotated)
    w, h = annotated.size
    for obj in objects:
        canvas.rectangle(
            (obj["x_min"] * w, obj["y_min"] * h, obj["x_max"] * w, obj["y_max"] * h),
            outline=(255, 40, 40),
            width=max(2, w // 200),
        )
        canvas.text((obj["x_min"] * w + 4, obj["y_min"] * h + 4), prompt[:40], fill=(255, 40, 40))
    return annotated


def moondream_detect(inp: Any, ctx: JobContext) -> dict[str, Any]:
    """Find "objects" matching the prompt: seeded boxes drawn on the image."""
    args = as_dict(inp)
    url, prompt = args["image_url"], args["prompt"]
    seed = seed_from(url, prompt)
    image = _images.open_image(ctx.fetch(url, "image_url"), seed, FALLBACK_SIZE)
    for _ in ctx.steps(12):
        pass
    objects = boxes(seed, 1 + seed % 3)
    with ctx.heavy():
        annotated = _annotate(image, objects, prompt)
        data, mime, ext = _images.encode(annotated, "png")
    w, h = annotated.size
    saved = ctx.save(data, f"detect-{seed}.{ext}", mime)
    tokens = len(prompt.split())
    return {
        "finish_reason": "stop",
        "objects": objects,
        "image": {**saved, "width": w, "height": h},
        "usage_info": {
            "input_tokens": 729 + tokens,
            "output_tokens": 4 * len(objects) + 1,
            "prefill_time_ms": 12.5,
            "decode_time_ms": 3.1 * len(objects),
            "ttft_ms": 14.0,
        },
    }


_in, _out = models("fal-ai/moondream3-preview/detect")
register(
    EndpointDef(
        "fal-ai/moondream3-preview/detect",
        moondream_detect,
        input=_in,
        output=_out,
        document=document("fal-ai/moondream3-preview/detect"),
        description="Seeded boxes for the prompt, drawn on the image.",
    )
)
