"""Fixtures for the server tests: demo inputs that reference files on the server itself."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image


def upload_png(server: Any, size: tuple[int, int] = (320, 240), color: str = "orange") -> str:
    """Upload a real PNG through the CDN v3 route and return its URL."""
    buffer = io.BytesIO()
    Image.new("RGB", size, color).save(buffer, "PNG")
    response = httpx.post(
        f"{server.url}/files/upload",
        content=buffer.getvalue(),
        headers={"content-type": "image/png", "x-fal-file-name": "key.png"},
    )
    response.raise_for_status()
    return response.json()["access_url"]


@pytest.fixture(scope="session")
def key_image(local_server: Any) -> str:
    return upload_png(local_server)


def demo_inputs(image_url: str) -> dict[str, dict[str, Any]]:
    """One small valid input per demo endpoint (fast: few steps, small sizes)."""
    return {
        "fal-ai/flux-realism": {
            "prompt": "a lighthouse at dusk",
            "seed": 7,
            "image_size": "square",
            "num_inference_steps": 4,
        },
        "fal-ai/imagen4/preview": {"prompt": "a red fox in snow", "aspect_ratio": "16:9"},
        "fal-ai/toon-crafter": {"keyframe_image_urls": [image_url, image_url], "steps": 4},
        "anthonywu/gamecraft": {
            "image": {"url": image_url},
            "prompt": "walk forward",
            "action_list": '["w", "d"]',
            "action_speed_list": "[0.2, 0.4]",
            "infer_steps": 2,
        },
        "fal-ai/minimax-music/v1.5": {
            "prompt": "a calm piano song",
            "lyrics_prompt": "[verse]\nfirst line here\nsecond line",
        },
        "fal-ai/meshy/v5/multi-image-to-3d": {"image_urls": [image_url]},
        "fal-ai/moondream3-preview/detect": {"image_url": image_url, "prompt": "orange square"},
        "fal-ai/flux-krea-lora/stream": {
            "prompt": "a castle",
            "image_size": "square",
            "num_inference_steps": 8,
            "seed": 3,
        },
    }


@pytest.fixture(scope="session")
def inputs(key_image: str) -> dict[str, dict[str, Any]]:
    return demo_inputs(key_image)
