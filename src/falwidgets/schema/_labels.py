"""Readable field labels from snake_case names: "keyframe_image_urls" -> "Keyframe image URLs".

Pydantic and fal's SDK emit `title = name.replace("_", " ").title()`, which reads badly for
acronyms ("Image Urls", "Model Glb", "Num Inference Steps"). Such machine titles are rebuilt from
the name with a word map; a title someone actually wrote is kept as it is. The map is a plain dict
so that users can extend it (`WORDS["vton"] = "VTON"`, then `label_for.cache_clear()`); previews
and history reuse `label_for`.
"""

from __future__ import annotations

import re
from functools import lru_cache

WORDS: dict[str, str] = {
    "url": "URL",
    "urls": "URLs",
    "uri": "URI",
    "uris": "URIs",
    "id": "ID",
    "ids": "IDs",
    "glb": "GLB",
    "gltf": "glTF",
    "obj": "OBJ",
    "fbx": "FBX",
    "usdz": "USDZ",
    "stl": "STL",
    "pbr": "PBR",
    "cfg": "CFG",
    "lora": "LoRA",
    "loras": "LoRAs",
    "fps": "FPS",
    "3d": "3D",
    "2d": "2D",
    "json": "JSON",
    "hd": "HD",
    "uhd": "UHD",
    "hdr": "HDR",
    "2k": "2K",
    "4k": "4K",
    "8k": "8K",
    "api": "API",
    "tts": "TTS",
    "vae": "VAE",
    "ip": "IP",
    "nsfw": "NSFW",
    "rgb": "RGB",
    "rgba": "RGBA",
    "png": "PNG",
    "jpeg": "JPEG",
    "jpg": "JPG",
    "mp3": "MP3",
    "mp4": "MP4",
    "wav": "WAV",
    "svg": "SVG",
    "llm": "LLM",
    "ocr": "OCR",
    "sdxl": "SDXL",
    "mllm": "MLLM",
    "ui": "UI",
    "bpm": "BPM",
    "sr": "SR",
}
"""Lower-case word -> how it is written in a label."""

PREFIXES: dict[str, str] = {"num": "number of"}
"""Leading words rewritten when they start a name (`num_images` -> "Number of images")."""

PREFIXED_MAX = 20
"""Longest label a prefix may expand to (the description column is 160 px, ~22 characters)."""

_SPLIT = re.compile(r"[_\s\-.]+|(?<=[a-z])(?=[A-Z])")


def words_of(name: str) -> list[str]:
    """The words of a snake_case, kebab-case or camelCase name."""
    return [w for w in _SPLIT.split(name.strip()) if w]


def is_machine_title(title: str, name: str) -> bool:
    """Whether `title` is only `name` with its words capitalised (what pydantic/fal generate)."""
    return [w.lower() for w in words_of(title)] == [w.lower() for w in words_of(name)]


def humanize(name: str) -> str:
    """A sentence-case label for a field name, with acronyms written properly."""
    parts = [w.lower() for w in words_of(name)]
    if not parts:
        return name
    if len(parts) > 1 and parts[0] in PREFIXES:
        longer = [*PREFIXES[parts[0]].split(), *parts[1:]]
        # "Number of images" reads well; "Number of inference steps" gets cut off beside the
        # control, where "Inference steps" says the same
        parts = longer if len(" ".join(longer)) <= PREFIXED_MAX else parts[1:]
    shown = [WORDS.get(p, p) for p in parts]
    first = shown[0]
    if first == parts[0]:  # an ordinary word: capitalise it; mapped words keep their spelling
        shown[0] = first[:1].upper() + first[1:]
    return " ".join(shown)


@lru_cache(maxsize=8192)
def label_for(name: str, title: str = "") -> str:
    """The label of a field: a real schema title as written, else the humanized name."""
    if title and not is_machine_title(title, name):
        return title
    return humanize(name) if name else title
