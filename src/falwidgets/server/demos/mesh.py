"""3D demo: fal-ai/meshy/v5/multi-image-to-3d -> a GLB, a PNG thumbnail and `model_urls`."""

from __future__ import annotations

import io
from typing import Any

from PIL import Image, ImageDraw

from falwidgets.server._context import FieldError, JobContext, seed_from
from falwidgets.server._registry import EndpointDef, register
from falwidgets.server.demos import _glb, as_dict, document, models
from falwidgets.server.demos._glb import _FACES


def thumbnail(seed: int, size: int = 256) -> bytes:
    """An isometric sketch of the box in its face colours (PNG)."""
    image = Image.new("RGB", (size, size), (245, 245, 245))
    canvas = ImageDraw.Draw(image)
    c, r = size / 2, size * 0.3
    top = [(c, c - r), (c + r, c - r / 2), (c, c), (c - r, c - r / 2)]
    left = [(c - r, c - r / 2), (c, c), (c, c + r), (c - r, c + r / 2)]
    right = [(c, c), (c + r, c - r / 2), (c + r, c + r / 2), (c, c + r)]
    for poly, face in ((top, 2), (left, 0), (right, 4)):
        rgb = tuple(int(255 * x) for x in _FACES[face][3][:3])
        canvas.polygon(poly, fill=rgb, outline=(40, 40, 40))
    canvas.text((8, size - 20), f"seed {seed}", fill=(60, 60, 60))
    buffer = io.BytesIO()
    image.save(buffer, "PNG")
    return buffer.getvalue()


def meshy_multi_image(inp: Any, ctx: JobContext) -> dict[str, Any]:
    """Build a textured-looking box from the input images' identity (GLB + thumbnail)."""
    args = as_dict(inp)
    urls = list(args.get("image_urls") or [])
    if not urls:
        raise FieldError("image_urls", "At least one image is required", "too_short")
    if len(urls) > 4:
        raise FieldError("image_urls", "At most 4 images are accepted", "too_long")
    for index, url in enumerate(urls):
        ctx.fetch(url, ("image_urls", index))  # a missing local file is a 422, as on fal
    seed = seed_from(*urls, args.get("texture_prompt") or "")
    for _ in ctx.steps(30):
        pass
    glb = _glb.write_glb(seed)
    _glb.check_glb(glb)
    model = ctx.save(glb, f"model-{seed}.glb", "model/gltf-binary")
    ctx.log(f"mesh written ({len(glb)} bytes)")
    return {
        "model_glb": model,
        "model_urls": {"glb": model},
        "thumbnail": ctx.save(thumbnail(seed), f"thumbnail-{seed}.png", "image/png"),
        "seed": seed,
    }


_in, _out = models("fal-ai/meshy/v5/multi-image-to-3d")
register(
    EndpointDef(
        "fal-ai/meshy/v5/multi-image-to-3d",
        meshy_multi_image,
        input=_in,
        output=_out,
        document=document("fal-ai/meshy/v5/multi-image-to-3d"),
        description="Build a box mesh from the input images (GLB + thumbnail).",
    )
)
