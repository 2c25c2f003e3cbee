"""Catalogue metadata of the bundled endpoints, in the shape of fal's ``GET /v1/models``.

Why bundled: the model browser searches offline and the local server answers ``/v1/models`` with
the same records, so both need display names, categories, descriptions and thumbnails without a
network. The source is ``fal-schemas/manifest.json`` (fal's own models-API metadata for 754
endpoints) plus each document's ``info.x-fal-metadata`` (thumbnail, category); for the rest the
name is derived from the id and the category from fal-js's coarse group, marked ``derived``.

Rebuild: ``python -m falwidgets.schema._catalog_models build /path/to/shared``.
"""

from __future__ import annotations

import json
import lzma
import sys
import threading
from pathlib import Path
from typing import Any

MODELS_FILE = Path(__file__).with_name("catalog_models.json.xz")

_lock = threading.Lock()
_data: dict[str, Any] | None = None

# a top-level file input: (field name, media kind, takes a list)
MediaInput = tuple[str, str, bool]


def _title_of(endpoint_id: str) -> str:
    parts = [p for p in endpoint_id.split("/")[1:] if p] or [endpoint_id]
    return " ".join(p.replace("-", " ").replace("_", " ") for p in parts).title()


def _record(endpoint_id: str, entry: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    """One ``/v1/models`` item: ``{endpoint_id, metadata}`` with fal's required keys."""
    info: dict[str, Any] = doc["info"] if isinstance(doc.get("info"), dict) else {}
    found = info.get("x-fal-metadata")
    xmeta: dict[str, Any] = found if isinstance(found, dict) else {}
    api = entry.get("models_api_metadata") or {}
    derived = doc.get("x-falschemas-derived") or {}
    category = (
        api.get("category")
        or entry.get("category")
        or xmeta.get("category")
        or derived.get("faljs_category_group")
        or "other"
    )
    meta = {
        "display_name": api.get("display_name") or _title_of(endpoint_id),
        "category": category,
        "description": api.get("description") or "",
        "status": api.get("status") or "active",
        "tags": list(api.get("tags") or []),
        "updated_at": api.get("updated_at"),
        "is_favorited": None,
        "thumbnail_url": xmeta.get("thumbnailUrl"),
        "model_url": f"https://fal.run/{endpoint_id}",
        "date": api.get("date"),
        "highlighted": False,
        "pinned": False,
    }
    for key in ("license_type", "kind"):
        if api.get(key):
            meta[key] = api[key]
    if not api:
        meta["derived"] = True  # not fal's metadata: name from the id
    return {"endpoint_id": endpoint_id, "metadata": meta}


def build(shared: Path, out: Path = MODELS_FILE) -> int:
    """Write the metadata file from ``shared/fal-schemas``; returns the record count."""
    from falwidgets.schema._document import endpoint_id_of

    base = shared / "fal-schemas"
    manifest = json.loads((base / "manifest.json").read_text(encoding="utf-8"))["endpoints"]
    records: dict[str, dict[str, Any]] = {}
    for folder in ("endpoints", "seeds"):
        for file in sorted((base / folder).glob("*.json")):
            doc = json.loads(file.read_text(encoding="utf-8"))
            endpoint_id = endpoint_id_of(doc) or file.stem.replace("__", "/")
            records[endpoint_id] = _record(endpoint_id, manifest.get(endpoint_id, {}), doc)
    media = {endpoint_id: _media_inputs(endpoint_id) for endpoint_id in records}
    payload = json.dumps(
        {
            "models": sorted(records.values(), key=lambda r: r["endpoint_id"]),
            "media_inputs": {k: v for k, v in media.items() if v},
        }
    )
    out.write_bytes(lzma.compress(payload.encode(), preset=9 | lzma.PRESET_EXTREME))
    global _data
    with _lock:
        _data = None
    return len(records)


def _media_inputs(endpoint_id: str) -> list[MediaInput]:
    """The top-level file inputs of an endpoint, by the schema layer's own role rules (run once
    at build time: parsing 1,340 schemas takes ~10 s, reading the answer a millisecond)."""
    from falwidgets.schema._endpoint import load_endpoint

    try:
        root = load_endpoint(endpoint_id).input
    except Exception:  # a document without a usable input schema takes no media
        return []
    found: list[MediaInput] = []
    for spec in root.properties if root is not None else ():
        if spec.role == "file" and spec.media:
            found.append((spec.name, spec.media, spec.kind == "array"))
    return found


def _load() -> dict[str, Any]:
    global _data
    with _lock:
        if _data is None:
            _data = json.loads(lzma.decompress(MODELS_FILE.read_bytes()))
        return _data


def catalog_models() -> list[dict[str, Any]]:
    """Every bundled endpoint's ``/v1/models`` record (shared list: do not mutate)."""
    return _load()["models"]


def media_inputs() -> dict[str, list[MediaInput]]:
    """``{endpoint_id: [(field, media kind, is_list), ...]}`` for endpoints with file inputs."""
    return {k: [tuple(x) for x in v] for k, v in _load()["media_inputs"].items()}  # type: ignore[misc]


def _main(argv: list[str]) -> int:
    if len(argv) != 2 or argv[0] != "build":
        print("usage: python -m falwidgets.schema._catalog_models build /path/to/shared")
        return 2
    print(f"wrote {build(Path(argv[1]))} records to {MODELS_FILE}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
