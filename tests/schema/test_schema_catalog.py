"""Bundled catalog (offline) and URL loading with its disk cache (fetcher injected, no network)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from falwidgets.schema import catalog, endpoint_url, load_endpoint
from falwidgets.schema._catalog import build, catalog_document


def test_catalog_holds_corpus_and_seeds() -> None:
    ids = catalog()
    assert len(ids) == 1340
    for seed in ("fal-ai/toon-crafter", "anthonywu/gamecraft", "fal-ai/flux-realism"):
        assert seed in ids


def test_load_by_endpoint_id_offline() -> None:
    schema = load_endpoint("fal-ai/flux/dev")
    assert schema.endpoint_id == "fal-ai/flux/dev"
    assert schema.input.child("image_size").role == "image_size"
    assert load_endpoint("fal-ai/flux/dev") is schema  # cached
    assert catalog_document("fal-ai/flux/dev") is not catalog_document("fal-ai/flux/dev")


def test_unknown_endpoint_id_is_a_clear_error() -> None:
    with pytest.raises(KeyError, match="unknown endpoint 'fal-ai/nope'"):
        load_endpoint("fal-ai/nope")


def test_seeds_win_over_corpus(tmp_path: Path, seeds_dir: Path, corpus_dir: Path) -> None:
    shared = tmp_path / "shared"
    (shared / "fal-schemas" / "endpoints").mkdir(parents=True)
    (shared / "fal-schemas" / "seeds").mkdir(parents=True)
    seed = json.loads((seeds_dir / "fal-ai__flux-realism.json").read_text())
    stale = json.loads((corpus_dir / "fal-ai__flux__dev.json").read_text())
    stale["info"]["x-fal-metadata"]["endpointId"] = "fal-ai/flux-realism"
    (shared / "fal-schemas" / "endpoints" / "x.json").write_text(json.dumps(stale))
    (shared / "fal-schemas" / "seeds" / "y.json").write_text(json.dumps(seed))
    out = tmp_path / "catalog.json.xz"
    assert build(shared, out) == 1
    import lzma

    data = lzma.decompress(out.read_bytes())
    index = json.loads(data.split(b"\n", 1)[0])
    assert list(index) == ["fal-ai/flux-realism"]
    assert b"FluxRealismInput" in data and b"FluxDevInput" not in data


def test_files_and_paths(tmp_path: Path, corpus_dir: Path) -> None:
    path = corpus_dir / "fal-ai__flux__dev.json"
    by_path = load_endpoint(path)
    assert load_endpoint(str(path)) is by_path
    assert by_path.endpoint_id == "fal-ai/flux/dev"
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    with pytest.raises(ValueError, match="not a JSON document"):
        load_endpoint(bad)
    with pytest.raises(FileNotFoundError):
        load_endpoint(str(tmp_path / "missing.json"))
    with pytest.raises(TypeError, match="endpoint id"):
        load_endpoint(42)  # type: ignore[arg-type]


def test_url_is_fetched_once_then_cached_on_disk(corpus_dir: Path, _isolated_env: Path) -> None:
    body = (corpus_dir / "fal-ai__flux__schnell.json").read_bytes()
    calls: list[str] = []

    def fetch(url: str) -> bytes:
        calls.append(url)
        return body

    url = endpoint_url("fal-ai/flux/schnell")
    assert url == "https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=fal-ai/flux/schnell"
    schema = load_endpoint(url, fetch=fetch)
    assert schema.endpoint_id == "fal-ai/flux/schnell" and calls == [url]
    cached = list((_isolated_env / "cache" / "schemas").glob("*.json"))
    assert len(cached) == 1

    from falwidgets.schema import _endpoint

    _endpoint._caches["url"].clear()  # a new process: memory cache gone, disk cache still there

    def no_network(url: str) -> bytes:
        raise AssertionError("fetched again")

    assert load_endpoint(url, fetch=no_network).endpoint_id == "fal-ai/flux/schnell"
    assert load_endpoint(url, fetch=fetch, refresh=True).input is not None
    assert len(calls) == 2


def test_url_errors_are_specific() -> None:
    def down(url: str) -> bytes:
        raise OSError("connection refused")

    def html(url: str) -> bytes:
        return b"<html>"

    with pytest.raises(ConnectionError, match="could not fetch the schema"):
        load_endpoint("https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=a/b", fetch=down)
    with pytest.raises(ValueError, match="not JSON"):
        load_endpoint("https://fal.ai/api/openapi/queue/openapi.json?endpoint_id=c/d", fetch=html)


def test_models_api_entry_and_bare_schema() -> None:
    doc: dict[str, Any] = catalog_document("fal-ai/flux/dev")
    entry = {"endpoint_id": "fal-ai/flux/dev", "openapi": doc}
    assert load_endpoint(entry).input.child("prompt").required
    bare = {"type": "object", "properties": {"x": {"type": "integer"}}}
    assert load_endpoint(bare).input_model()(x=1).x == 1
