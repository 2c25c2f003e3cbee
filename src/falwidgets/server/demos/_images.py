"""Deterministic demo pictures drawn with Pillow from a prompt and a seed."""

from __future__ import annotations

import io
import random
import textwrap
from typing import Any

from PIL import Image, ImageDraw, ImageFont

# fal's image_size presets (fal-protocol.md section 19.3)
PRESETS: dict[str, tuple[int, int]] = {
    "square_hd": (1024, 1024),
    "square": (512, 512),
    "portrait_4_3": (768, 1024),
    "portrait_16_9": (576, 1024),
    "landscape_4_3": (1024, 768),
    "landscape_16_9": (1024, 576),
}

FORMATS: dict[str, tuple[str, str, str]] = {  # output_format -> (PIL format, MIME, extension)
    "jpeg": ("JPEG", "image/jpeg", "jpg"),
    "png": ("PNG", "image/png", "png"),
    "webp": ("WEBP", "image/webp", "webp"),
}


def image_size(value: Any, default: str = "landscape_4_3") -> tuple[int, int]:
    """(width, height) from a preset name or an `{width, height}` object."""
    if isinstance(value, dict):
        return int(value.get("width") or 512), int(value.get("height") or 512)
    if hasattr(value, "width") and hasattr(value, "height"):
        return int(value.width), int(value.height)
    if isinstance(value, str) and value in PRESETS:
        return PRESETS[value]
    return PRESETS[default]


def aspect_size(aspect_ratio: str, resolution: str = "1K") -> tuple[int, int]:
    """Imagen-style `16:9` + `1K|2K` -> pixels (about 1 or 4 megapixels, multiples of 32)."""
    w_ratio, h_ratio = (float(x) for x in aspect_ratio.split(":"))
    area = (1024 * 1024) * (4 if resolution == "2K" else 1)
    width = (area * w_ratio / h_ratio) ** 0.5
    height = width * h_ratio / w_ratio
    return int(round(width / 32) * 32), int(round(height / 32) * 32)


def _palette(rng: random.Random) -> list[tuple[int, int, int]]:
    return [(rng.randrange(256), rng.randrange(256), rng.randrange(256)) for _ in range(6)]


def draw(prompt: str, seed: int, width: int, height: int, *, progress: float = 1.0) -> Image.Image:
    """A gradient, seeded shapes and the prompt; `progress` < 1 gives a blurrier partial image."""
    rng = random.Random(seed)
    colors = _palette(rng)
    top, bottom = colors[0], colors[1]
    gradient = Image.linear_gradient("L").resize((width, height))
    image = Image.composite(
        Image.new("RGB", (width, height), bottom), Image.new("RGB", (width, height), top), gradient
    )
    canvas = ImageDraw.Draw(image, "RGBA")
    shapes = max(1, int(12 * progress))
    for index in range(12):
        x, y = rng.random() * width, rng.random() * height
        radius = (0.05 + rng.random() * 0.2) * min(width, height)
        color = (*colors[2 + index % 4], 170)
        if index >= shapes:
            continue
        box = (x - radius, y - radius, x + radius, y + radius)
        if index % 3 == 0:
            canvas.rectangle(box, fill=color)
        elif index % 3 == 1:
            canvas.ellipse(box, fill=color)
        else:
            canvas.polygon(
                [(x, y - radius), (x + radius, y + radius), (x - radius, y + radius)], fill=color
            )
    if progress >= 1.0:
        font = ImageFont.load_default(size=max(12, min(width, height) // 24))
        text = "\n".join(textwrap.wrap((prompt or "(no prompt)")[:400], width=40)[:4])
        margin = max(8, width // 64)
        bbox = canvas.multiline_textbbox((margin, margin), text, font=font)
        canvas.rectangle((bbox[0] - 4, bbox[1] - 4, bbox[2] + 4, bbox[3] + 4), fill=(0, 0, 0, 140))
        canvas.multiline_text((margin, margin), text, font=font, fill=(255, 255, 255, 255))
    return image


def encode(image: Image.Image, output_format: str = "png") -> tuple[bytes, str, str]:
    """(bytes, MIME type, extension) of an image in fal's `output_format`."""
    pil_format, mime, ext = FORMATS.get(output_format, FORMATS["png"])
    buffer = io.BytesIO()
    image.convert("RGB").save(
        buffer, pil_format, quality=88
    ) if pil_format != "PNG" else image.save(buffer, pil_format)
    return buffer.getvalue(), mime, ext


def open_image(data: bytes | None, fallback_seed: int, size: tuple[int, int]) -> Image.Image:
    """Decode input bytes, or synthesise a stand-in when the input lives off this server."""
    if data is not None:
        try:
            return Image.open(io.BytesIO(data)).convert("RGB")
        except Exception:
            pass
    return draw("", fallback_seed, *size)
