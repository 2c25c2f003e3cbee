"""Image demos: fal-ai/flux-realism, fal-ai/imagen4/preview, fal-ai/flux-krea-lora/stream."""

from __future__ import annotations

import time
from typing import Any

from falwidgets.server._context import JobContext, seed_from
from falwidgets.server._limits import DEMO_MAX_STEPS, limit
from falwidgets.server._registry import EndpointDef, register
from falwidgets.server.demos import _images, as_dict, document, models

MAX_SIDE = 4096  # demo limit on image_size width/height
DEFAULT_GUIDANCE = 3.5  # flux-realism's default: pictures at this value are left as drawn


def guided(picture: Any, guidance: Any) -> Any:
    """Make guidance_scale visible, as it is on the real model: higher values give more saturated,
    contrasty pictures, lower ones washed-out ones (a sweep over it then shows a difference).
    Deterministic: the same seed and guidance give the same picture."""
    if guidance is None:
        return picture
    from PIL import ImageEnhance

    factor = min(3.0, max(0.1, float(guidance) / DEFAULT_GUIDANCE))
    if factor == 1.0:
        return picture
    picture = ImageEnhance.Color(picture).enhance(factor)
    return ImageEnhance.Contrast(picture).enhance(0.5 + 0.5 * factor)


def _seed(args: dict[str, Any]) -> int:
    seed = args.get("seed")
    return int(seed) if seed is not None else seed_from(args.get("prompt", ""))


def _render(
    ctx: JobContext,
    prompt: str,
    seed: int,
    size: tuple[int, int],
    count: int,
    fmt: str,
    guidance: Any = None,
) -> list[dict[str, Any]]:
    images = []
    for index in range(count):
        with ctx.heavy():
            picture = guided(_images.draw(prompt, seed + index, *size), guidance)
            data, mime, ext = _images.encode(picture, fmt)
        saved = ctx.save(data, f"image-{seed + index}-{index}.{ext}", mime)
        images.append({**saved, "width": size[0], "height": size[1]})
    return images


def flux_realism(inp: Any, ctx: JobContext) -> dict[str, Any]:
    """Text to image (FLUX realism LoRA stand-in)."""
    args = as_dict(inp)
    seed, size = _seed(args), _images.image_size(args.get("image_size"))
    count = max(1, int(args.get("num_images") or 1))
    for _ in ctx.steps(args.get("num_inference_steps") or 28):
        pass
    fmt = args.get("output_format") or "jpeg"
    guidance = args.get("guidance_scale")
    images = _render(ctx, args["prompt"], seed, size, count, fmt, guidance)
    return {
        "images": images,
        "seed": seed,
        "has_nsfw_concepts": [False] * count,
        "prompt": args["prompt"],
    }


def imagen4(inp: Any, ctx: JobContext) -> dict[str, Any]:
    """Text to image (Imagen 4 stand-in): sized by aspect_ratio and resolution."""
    args = as_dict(inp)
    seed = seed_from(args["prompt"])
    size = _images.aspect_size(args.get("aspect_ratio") or "1:1", args.get("resolution") or "1K")
    count = max(1, int(args.get("num_images") or 1))
    for _ in ctx.steps(20):
        pass
    images = _render(ctx, args["prompt"], seed, size, count, args.get("output_format") or "png")
    return {
        "images": images,
        "description": f"A generated picture of: {args['prompt']}",
    }


def flux_krea_stream(inp: Any, ctx: JobContext) -> dict[str, Any]:
    """Text to image with intermediate images streamed as partial results."""
    args = as_dict(inp)
    seed, size = _seed(args), _images.image_size(args.get("image_size"))
    count = max(1, int(args.get("num_images") or 1))
    fmt = args.get("output_format") or "jpeg"
    total = int(args.get("num_inference_steps") or 28)
    started = time.perf_counter()
    preview = (max(64, size[0] // 4), max(64, size[1] // 4))
    every = max(1, total // 4)
    for step in ctx.steps(total):
        if step % every == 0 and step < total:
            with ctx.heavy():
                picture = _images.draw(args["prompt"], seed, *preview, progress=step / total)
                data, mime, ext = _images.encode(picture, "jpeg")
            partial = ctx.save(data, f"partial-{seed}-{step}.{ext}", mime)
            ctx.emit(
                {
                    "images": [{**partial, "width": preview[0], "height": preview[1]}],
                    "seed": seed,
                    "prompt": args["prompt"],
                    "has_nsfw_concepts": [False],
                    "timings": {"inference": round(time.perf_counter() - started, 4)},
                    "partial": True,
                    "step": step,
                }
            )
    images = _render(ctx, args["prompt"], seed, size, count, fmt)
    return {
        "images": images,
        "timings": {"inference": round(time.perf_counter() - started, 4)},
        "seed": seed,
        "has_nsfw_concepts": [False] * count,
        "prompt": args["prompt"],
    }


def _register(endpoint_id: str, func: Any, *, streaming: bool = False) -> None:
    input_model, output_model = models(endpoint_id)
    register(
        EndpointDef(
            endpoint_id,
            func,
            input=input_model,
            output=output_model,
            streaming=streaming,
            document=document(endpoint_id),
            description=(func.__doc__ or "").split("\n", 1)[0],
        )
    )


_register("fal-ai/flux-realism", flux_realism)
_register("fal-ai/imagen4/preview", imagen4)
_register("fal-ai/flux-krea-lora/stream", flux_krea_stream, streaming=True)

# the real flux-realism schema bounds none of these: at most DEMO_MAX_STEPS steps, fal's FLUX
# limit of 4 images, and demo pictures within 4096 px a side (fal allows 14142: too big here)
limit("fal-ai/flux-realism", "num_inference_steps", ge=1, le=DEMO_MAX_STEPS)
limit("fal-ai/flux-realism", "num_images", ge=1, le=4)
for _endpoint in ("fal-ai/flux-realism", "fal-ai/flux-krea-lora/stream"):
    for _side in ("width", "height"):
        limit(_endpoint, ("image_size", _side), ge=16, le=MAX_SIDE)
