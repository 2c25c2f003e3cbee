"""Small helpers for server tests (every wait has a deadline)."""

from __future__ import annotations

import time
from typing import Any

import httpx

from falwidgets.server._state import submission_digest


def wait_completed(client: httpx.Client, status_url: str, deadline: float = 20.0) -> dict[str, Any]:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        body = client.get(status_url, params={"logs": 1}).json()
        if body["status"] == "COMPLETED":
            return body
        time.sleep(0.02)
    raise AssertionError(f"request at {status_url} did not complete within {deadline} s")


def wait_state(client: httpx.Client, status_url: str, state: str, deadline: float = 10.0) -> None:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        if client.get(status_url).json()["status"] == state:
            return
        time.sleep(0.01)
    raise AssertionError(f"never reached {state}")


def submissions(server: Any) -> list[dict[str, Any]]:
    """The server's documented submission counter (`/_falwidgets/submissions`, never faulted)."""
    return httpx.get(f"{server.url}/_falwidgets/submissions", timeout=10).json()["submissions"]


def submission_count(server: Any, endpoint_id: str, arguments: Any) -> int:
    """How many times this exact input was accepted for this endpoint (0 if never)."""
    digest = submission_digest(endpoint_id, arguments)
    return sum(c["count"] for c in submissions(server) if c["digest"] == digest)


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
