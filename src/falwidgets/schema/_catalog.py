"""The bundled endpoint catalog (offline) and fal OpenAPI URLs (fetched once, cached on disk).

The catalog is one xz-compressed file: a JSON index line `{endpoint_id: [offset, length]}`
followed by each document's compact JSON. All 1,340 documents compress to ~0.5 MB together (versus
~3 MB as a zip of separate files) and one document is parsed only when asked for.

Rebuild: `python -m falwidgets.schema._catalog build /path/to/shared` (corpus, then the seeds,
which win).

The schema layer must not depend on the HTTP client, so URLs go through stdlib `urllib` with a
deadline; tests inject `fetch`.
"""

from __future__ import annotations

import hashlib
import json
import lzma
import sys
import threading
import urllib.parse
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

from falwidgets.schema._unknown import UnknownEndpoint, closest

CATALOG_FILE = Path(__file__).with_name("catalog.json.xz")
FAL_OPENAPI_URL = "https://fal.ai/api/openapi/queue/openapi.json?endpoint_id={endpoint_id}"
FETCH_TIMEOUT = 20.0

Fetcher = Callable[[str], bytes]

_lock = threading.Lock()
_blob: tuple[dict[str, list[int]], bytes, int] | None = None


def _load_blob() -> tuple[dict[str, list[int]], bytes, int]:
    global _blob
    with _lock:
        if _blob is None:
            if not CATALOG_FILE.is_file():
                raise FileNotFoundError(
                    f"the bundled catalog is missing ({CATALOG_FILE}); rebuild it with "
                    "`python -m falwidgets.schema._catalog build /path/to/shared`"
                )
            data = lzma.decompress(CATALOG_FILE.read_bytes())
            newline = data.index(b"\n")
            _blob = (json.loads(data[:newline]), data, newline + 1)
        return _blob


def catalog() -> list[str]:
    """Endpoint ids available offline, sorted."""
    return sorted(_load_blob()[0])


def catalog_document(endpoint_id: str) -> dict[str, Any]:
    """The bundled OpenAPI document of `endpoint_id` (a fresh dict each call)."""
    index, data, start = _load_blob()
    entry = index.get(endpoint_id.strip().strip("/"))
    if entry is None:
        raise UnknownEndpoint(endpoint_id, closest(endpoint_id, index))
    offset, length = entry
    return json.loads(data[start + offset : start + offset + length])


def _urllib_fetch(url: str) -> bytes:
    request = urllib.request.Request(url, headers={"Accept": "application/json"})
    with urllib.request.urlopen(request, timeout=FETCH_TIMEOUT) as response:
        return response.read()


def load_url(url: str, *, fetch: Fetcher | None = None, refresh: bool = False) -> dict[str, Any]:
    """A document from a URL, cached under `falwidgets._home.cache_dir()/schemas`."""
    from falwidgets._home import cache_dir

    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise ValueError(f"not an http(s) URL: {url!r}")
    folder = cache_dir() / "schemas"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / (hashlib.sha256(url.encode()).hexdigest()[:32] + ".json")
    if path.is_file() and not refresh:
        return json.loads(path.read_text(encoding="utf-8"))
    try:
        raw = (fetch or _urllib_fetch)(url)
    except OSError as exc:
        raise ConnectionError(f"could not fetch the schema at {url}: {exc}") from None
    try:
        doc = json.loads(raw)
    except ValueError as exc:
        raise ValueError(f"the schema at {url} is not JSON: {exc}") from None
    if not isinstance(doc, Mapping):
        raise ValueError(f"the schema at {url} is not a JSON object")
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(doc), encoding="utf-8")
    tmp.replace(path)
    return dict(doc)


def endpoint_url(endpoint_id: str) -> str:
    """fal's queue OpenAPI URL for an endpoint id."""
    return FAL_OPENAPI_URL.format(endpoint_id=urllib.parse.quote(endpoint_id, safe="/"))


def build(shared: Path, out: Path = CATALOG_FILE) -> int:
    """Write the catalog from `shared/fal-schemas/{endpoints,seeds}`; returns the document count."""
    from falwidgets.schema._document import endpoint_id_of

    base = shared / "fal-schemas"
    docs: dict[str, bytes] = {}
    for folder in ("endpoints", "seeds"):  # seeds last: they win
        for file in sorted((base / folder).glob("*.json")):
            doc = json.loads(file.read_text(encoding="utf-8"))
            endpoint_id = endpoint_id_of(doc) or file.stem.replace("__", "/")
            docs[endpoint_id] = json.dumps(doc, separators=(",", ":"), ensure_ascii=False).encode()
    index: dict[str, list[int]] = {}
    offset = 0
    for endpoint_id, blob in docs.items():
        index[endpoint_id] = [offset, len(blob)]
        offset += len(blob)
    payload = json.dumps(index, separators=(",", ":")).encode() + b"\n" + b"".join(docs.values())
    out.write_bytes(lzma.compress(payload, preset=9 | lzma.PRESET_EXTREME))
    global _blob
    with _lock:
        _blob = None
    return len(docs)


def _main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "build":
        print("usage: python -m falwidgets.schema._catalog build /path/to/shared", file=sys.stderr)
        return 2
    count = build(Path(argv[1]))
    print(f"wrote {count} documents to {CATALOG_FILE} ({CATALOG_FILE.stat().st_size:,} bytes)")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
