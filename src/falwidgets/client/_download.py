"""Save the media files of an output to disk (``falwidgets run --out``).

Result URLs of the embedded local server die with the command, so the CLI keeps real files the
user can open. Media are found the way fal outputs name them: a ``{"url": ...}`` file object
(``file_name`` is used when present) or a string under a key ending in ``_url``. Only http(s)
URLs are fetched; names are reduced to a safe base name and never overwrite each other.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path, PurePosixPath
from typing import Any
from urllib.parse import unquote, urlsplit

import httpx

__all__ = ["download_media", "media_urls"]

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def media_urls(output: Any) -> list[tuple[str, str | None]]:
    """``(url, file_name or None)`` for every http(s) media URL in ``output``, in order, once."""
    seen: dict[str, str | None] = {}
    for url, name in _walk(output, None):
        if url.startswith(("http://", "https://")) and url not in seen:
            seen[url] = name
    return list(seen.items())


def _walk(value: Any, key: str | None) -> Iterator[tuple[str, str | None]]:
    if isinstance(value, dict):
        url = value.get("url")
        if isinstance(url, str):
            name = value.get("file_name")
            yield url, name if isinstance(name, str) else None
        for k, v in value.items():
            if k != "url":
                yield from _walk(v, str(k))
    elif isinstance(value, list):
        for item in value:
            yield from _walk(item, key)
    elif isinstance(value, str) and key is not None and key.endswith("_url"):
        yield value, None


def _safe_name(url: str, name: str | None, index: int) -> str:
    raw = name or PurePosixPath(unquote(urlsplit(url).path)).name
    cleaned = _UNSAFE.sub("_", PurePosixPath(raw.replace("\\", "/")).name).strip("._")
    return cleaned[:120] or f"file-{index}"


def _unique(directory: Path, name: str, taken: set[str]) -> Path:
    stem, dot, suffix = name.partition(".") if not name.startswith(".") else (name, "", "")
    candidate, n = name, 1
    while candidate in taken or (directory / candidate).exists():
        candidate = f"{stem}-{n}{dot}{suffix}"
        n += 1
    taken.add(candidate)
    return directory / candidate


def download_media(output: Any, directory: Path, *, timeout: float = 60.0) -> list[Path]:
    """Download every media URL of ``output`` into ``directory``; return the saved paths.

    Each file streams to disk (never whole in memory) with ``timeout`` as its per-read limit;
    a failed download raises ``OSError`` naming the URL, after keeping the files already saved.
    """
    found = media_urls(output)
    if not found:
        return []
    directory.mkdir(parents=True, exist_ok=True)
    saved: list[Path] = []
    taken: set[str] = set()
    with httpx.Client(timeout=httpx.Timeout(timeout, connect=10.0), follow_redirects=True) as http:
        for index, (url, name) in enumerate(found, 1):
            target = _unique(directory, _safe_name(url, name, index), taken)
            try:
                with http.stream("GET", url) as response:
                    response.raise_for_status()
                    with target.open("wb") as handle:
                        for chunk in response.iter_bytes(1 << 20):
                            handle.write(chunk)
            except httpx.HTTPError as error:
                target.unlink(missing_ok=True)
                raise OSError(
                    f"could not download {url}: {type(error).__name__}: {error}"
                ) from None
            saved.append(target)
    return saved
