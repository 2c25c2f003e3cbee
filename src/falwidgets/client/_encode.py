"""Files in arguments: ``data_uri`` for small inline files, and discovery of values to upload.

Any ``pathlib.Path``, ``bytes``/``bytearray``/``memoryview`` or PIL image found anywhere in the
arguments (dicts, lists, tuples) is uploaded before submit and replaced by its URL, so a form or a
script can pass local files straight through.
"""

from __future__ import annotations

import base64
import io
import mimetypes
from pathlib import Path
from typing import Any

__all__ = ["data_uri", "find_uploads", "guess_type", "is_pil_image", "pil_bytes", "replace_uploads"]

INLINE_LIMIT = 50 * 1024 * 1024
MAX_DEPTH = 200  # JSON encoders and the journal recurse; stay far below Python's limit


def is_pil_image(value: Any) -> bool:
    """Duck-typed so PIL is only imported by callers who already use it."""
    return type(value).__module__.startswith("PIL.") and hasattr(value, "save")


def pil_bytes(image: Any, fmt: str | None = None) -> tuple[bytes, str]:
    """Encode a PIL image (PNG unless told otherwise) -> (bytes, content type)."""
    fmt = (fmt or getattr(image, "format", None) or "PNG").upper()
    if fmt == "JPG":
        fmt = "JPEG"
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    return buffer.getvalue(), f"image/{fmt.lower()}"


def guess_type(name: str | None, default: str = "application/octet-stream") -> str:
    if not name:
        return default
    return mimetypes.guess_type(name)[0] or default


def data_uri(data: Any, content_type: str | None = None) -> str:
    """``data:<type>;base64,...`` for bytes, a path or a PIL image (for small files only).

    fal models accept data URIs wherever they take a file URL; no upload round-trip is needed.
    """
    if is_pil_image(data):
        raw, guessed = pil_bytes(data)
    elif isinstance(data, (bytes, bytearray, memoryview)):
        raw, guessed = bytes(data), "application/octet-stream"
    elif isinstance(data, (str, Path)):
        path = Path(data)
        if not path.is_file():
            raise FileNotFoundError(f"data_uri: no such file: {path}")
        size = path.stat().st_size
        if size > INLINE_LIMIT:
            raise ValueError(
                f"data_uri: {path} is {size} bytes; inline data URIs are for small files, "
                "use client.upload() instead"
            )
        raw, guessed = path.read_bytes(), guess_type(path.name)
    else:
        raise TypeError(f"data_uri expects bytes, a path or a PIL image, got {type(data).__name__}")
    return f"data:{content_type or guessed};base64,{base64.b64encode(raw).decode('ascii')}"


def _uploadable(value: Any) -> bool:
    return isinstance(value, (Path, bytes, bytearray, memoryview)) or is_pil_image(value)


def find_uploads(arguments: Any) -> list[Any]:
    """Distinct values (by identity) in ``arguments`` that must be uploaded, in document order.

    Walks iteratively and refuses nesting deeper than :data:`MAX_DEPTH` (or a structure that
    contains itself) with a clear ``ValueError``, instead of a bare ``RecursionError`` later in
    JSON encoding.
    """
    found: dict[int, Any] = {}
    stack: list[tuple[Any, int]] = [(arguments, 0)]
    pop, push = stack.pop, stack.append
    while stack:
        value, depth = pop()
        if isinstance(value, dict):
            items: Any = value.values()
        elif isinstance(value, (list, tuple)):
            items = value
        else:
            if _uploadable(value):
                found.setdefault(id(value), value)
            continue
        if depth >= MAX_DEPTH:
            raise ValueError(
                f"arguments nest deeper than {MAX_DEPTH} levels (or contain themselves); "
                "fal inputs are JSON documents a few levels deep"
            )
        for item in reversed(list(items)):  # reversed: document order off the stack
            if isinstance(item, (dict, list, tuple)) or _uploadable(item):
                push((item, depth + 1))
    return list(found.values())


def replace_uploads(arguments: Any, urls: dict[int, str]) -> Any:
    """A copy of ``arguments`` with each uploaded value replaced by its URL (by identity)."""
    if id(arguments) in urls and _uploadable(arguments):
        return urls[id(arguments)]
    if isinstance(arguments, dict):
        return {k: replace_uploads(v, urls) for k, v in arguments.items()}
    if isinstance(arguments, (list, tuple)):
        return [replace_uploads(v, urls) for v in arguments]
    return arguments
