"""Demo video encoding with PyAV: VP8 in WebM, which Chromium plays without proprietary codecs."""

from __future__ import annotations

import io
from collections.abc import Iterable

import av
import numpy as np
from PIL import Image

CODEC = "libvpx"  # VP8; every PyAV wheel ships it, and every Chromium plays it
MIME = "video/webm"
EXTENSION = "webm"


def encode(frames: Iterable[Image.Image], fps: int, size: tuple[int, int]) -> tuple[bytes, int]:
    """Encode RGB frames (resized to `size`, even dimensions) -> (WebM bytes, frame count)."""
    width, height = (size[0] // 2) * 2, (size[1] // 2) * 2
    buffer = io.BytesIO()
    count = 0
    with av.open(buffer, mode="w", format="webm") as container:
        stream = container.add_stream(CODEC, rate=max(1, int(fps)))
        assert isinstance(stream, av.VideoStream)
        stream.width, stream.height = width, height
        stream.pix_fmt = "yuv420p"
        stream.options = {"deadline": "realtime", "cpu-used": "8", "b": "800k"}
        for frame in frames:
            rgb = np.asarray(frame.convert("RGB").resize((width, height)), dtype=np.uint8)
            video_frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            for packet in stream.encode(video_frame):
                container.mux(packet)
            count += 1
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue(), count


def crossfade(a: Image.Image, b: Image.Image, t: float, zoom: float = 0.0) -> Image.Image:
    """Blend two keyframes, with an optional gentle zoom so motion is visible."""
    blended = Image.blend(a, b.resize(a.size), max(0.0, min(1.0, t)))
    if zoom:
        w, h = blended.size
        dx, dy = int(w * zoom / 2), int(h * zoom / 2)
        blended = blended.crop((dx, dy, w - dx, h - dy)).resize((w, h))
    return blended


def camera(image: Image.Image, x: float, y: float, zoom: float) -> Image.Image:
    """A virtual camera over `image`: pan by (x, y) in [-1, 1] of the slack, zoom >= 1."""
    w, h = image.size
    cw, ch = w / zoom, h / zoom
    left = (w - cw) / 2 * (1 + max(-1.0, min(1.0, x)))
    top = (h - ch) / 2 * (1 + max(-1.0, min(1.0, y)))
    return image.crop((int(left), int(top), int(left + cw), int(top + ch))).resize((w, h))
