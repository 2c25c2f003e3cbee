"""Audio demo: fal-ai/minimax-music/v1.5 -> a seeded melody as MP3, FLAC or WAV (`pcm`).

The v1.5 schema has no duration field: the song lasts 2.5 s per lyric line (tags like `[chorus]`
excluded), between 5 and 30 s, unless the input carries an extra `duration` in seconds.
"""

from __future__ import annotations

import io
import wave
from typing import Any

import av
import numpy as np

from falwidgets.server._context import FieldError, JobContext, seed_from
from falwidgets.server._registry import EndpointDef, register
from falwidgets.server.demos import as_dict, document, models

SECONDS_PER_LINE = 2.5
MIN_SECONDS, MAX_SECONDS = 5.0, 30.0
SCALE = (0, 2, 4, 5, 7, 9, 11, 12)  # major scale, semitones


def song_duration(lyrics: str, requested: Any = None) -> float:
    if requested is not None:
        try:
            value = float(requested)
        except (TypeError, ValueError):
            raise FieldError("duration", "duration must be a number of seconds") from None
        if not 1.0 <= value <= 300.0:
            raise FieldError("duration", "duration must lie between 1 and 300 seconds")
        return value
    lines = [ln for ln in lyrics.splitlines() if ln.strip() and not ln.strip().startswith("[")]
    return max(MIN_SECONDS, min(MAX_SECONDS, SECONDS_PER_LINE * len(lines)))


def melody(seed: int, seconds: float, rate: int) -> np.ndarray:
    """Mono int16 samples: seeded notes with a soft envelope and a bass drone."""
    rng = np.random.default_rng(seed)
    total = round(seconds * rate)
    t = np.arange(total) / rate
    note_len = 0.25 + 0.25 * int(rng.integers(0, 2))
    notes = rng.choice(SCALE, size=int(np.ceil(seconds / note_len)) + 1)
    index = np.minimum((t / note_len).astype(int), len(notes) - 1)
    freq = 220.0 * 2 ** (notes[index] / 12)
    phase = 2 * np.pi * np.cumsum(freq) / rate
    within = (t % note_len) / note_len
    envelope = np.minimum(1.0, within * 20) * (1 - within) ** 0.5
    signal = 0.45 * np.sin(phase) * envelope + 0.15 * np.sin(2 * np.pi * 110.0 * t)
    fade = np.minimum(1.0, np.minimum(t, seconds - t) / 0.05)
    return (signal * fade * 32767 * 0.8).astype(np.int16)


def to_wav(samples: np.ndarray, rate: int) -> bytes:
    buffer = io.BytesIO()
    with wave.open(buffer, "wb") as out:
        out.setnchannels(1)
        out.setsampwidth(2)
        out.setframerate(rate)
        out.writeframes(samples.tobytes())
    return buffer.getvalue()


def to_compressed(samples: np.ndarray, rate: int, fmt: str, bitrate: int) -> bytes:
    codec = {"mp3": "libmp3lame", "flac": "flac"}[fmt]
    buffer = io.BytesIO()
    with av.open(buffer, mode="w", format=fmt) as container:
        stream = container.add_stream(codec, rate=rate)
        assert isinstance(stream, av.AudioStream)
        stream.layout = "mono"
        if fmt == "mp3":
            stream.bit_rate = bitrate
        frame_size = 1152
        for start in range(0, len(samples), frame_size):
            chunk = samples[start : start + frame_size].reshape(1, -1)
            frame = av.AudioFrame.from_ndarray(chunk, format="s16", layout="mono")
            frame.sample_rate = rate
            frame.pts = start
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def minimax_music(inp: Any, ctx: JobContext) -> dict[str, Any]:
    """Generate a melody as long as the lyrics ask for."""
    args = as_dict(inp)
    setting = args.get("audio_setting") or {}
    fmt = setting.get("format") or "mp3"
    rate = int(setting.get("sample_rate") or 44100)
    bitrate = int(setting.get("bitrate") or 256000)
    seconds = song_duration(args.get("lyrics_prompt", ""), args.get("duration"))
    seed = seed_from(args.get("prompt", ""), args.get("lyrics_prompt", ""))
    for _ in ctx.steps(int(seconds * 2)):
        pass
    with ctx.heavy():
        samples = melody(seed, seconds, rate)
        wav = fmt == "pcm"
        data = to_wav(samples, rate) if wav else to_compressed(samples, rate, fmt, bitrate)
    if fmt == "pcm":
        mime, ext = "audio/wav", "wav"
    else:
        mime, ext = ("audio/mpeg", "mp3") if fmt == "mp3" else ("audio/flac", "flac")
    ctx.log(f"{seconds:.1f} s of audio at {rate} Hz ({fmt})")
    return {"audio": ctx.save(data, f"music-{seed}.{ext}", mime)}


_in, _out = models("fal-ai/minimax-music/v1.5")
register(
    EndpointDef(
        "fal-ai/minimax-music/v1.5",
        minimax_music,
        input=_in,
        output=_out,
        document=document("fal-ai/minimax-music/v1.5"),
        description="Generate a melody as long as the lyrics ask for.",
    )
)
