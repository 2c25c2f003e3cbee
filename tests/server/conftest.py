"""Fixtures for the server tests: demo inputs that reference files on the server itself."""

from __future__ import annotations

import io
from typing import Any

import httpx
import pytest
from PIL import Image
from server_util import demo_inputs


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


@pytest.fixture(scope="session")
def inputs(key_image: str) -> dict[str, dict[str, Any]]:
    return demo_inputs(key_image)
