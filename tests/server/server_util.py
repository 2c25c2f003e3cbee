"""Small helpers for server tests (every wait has a deadline)."""

from __future__ import annotations

from typing import Any

import httpx

from _wait import wait_until


def wait_completed(client: httpx.Client, status_url: str, deadline: float = 20.0) -> dict[str, Any]:
    def completed() -> dict[str, Any] | None:
        body: dict[str, Any] = client.get(status_url, params={"logs": 1}).json()
        return body if body["status"] == "COMPLETED" else None

    return wait_until(completed, deadline, f"the request at {status_url} to complete")


def wait_state(client: httpx.Client, status_url: str, state: str, deadline: float = 10.0) -> None:
    wait_until(
        lambda: client.get(status_url).json()["status"] == state,
        deadline,
        f"the request at {status_url} to be {state}",
    )


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
