"""The corpus the tests read: the bundled catalog by default, the shared corpus when configured."""

from __future__ import annotations

import json
import lzma
from pathlib import Path

import pytest

from falwidgets.schema import catalog
from falwidgets.schema._catalog import CATALOG_FILE, build, catalog_document


def _documents(xz: Path) -> dict[str, object]:
    data = lzma.decompress(xz.read_bytes())
    head, _, body = data.partition(b"\n")
    return {
        endpoint_id: json.loads(body[offset : offset + length])
        for endpoint_id, (offset, length) in json.loads(head).items()
    }


def test_corpus_files_are_the_catalog_documents(corpus_dir: Path, seeds_dir: Path) -> None:
    files = sorted(corpus_dir.glob("*.json")) + sorted(seeds_dir.glob("*.json"))
    ids = {path.stem.replace("__", "/") for path in files}
    assert ids == set(catalog())
    assert {path.stem for path in seeds_dir.glob("*.json")} == {
        "anthonywu__gamecraft",
        "fal-ai__flux-realism",
        "fal-ai__toon-crafter",
    }
    dev = json.loads((corpus_dir / "fal-ai__flux__dev.json").read_text(encoding="utf-8"))
    assert dev == catalog_document("fal-ai/flux/dev")


@pytest.mark.shared_corpus
def test_bundled_catalog_is_built_from_the_shared_corpus(shared_dir: Path, tmp_path: Path) -> None:
    """A corpus update without `python -m falwidgets.schema._catalog build` is caught here."""
    fresh = tmp_path / "catalog.json.xz"
    build(shared_dir, fresh)
    assert _documents(fresh) == _documents(CATALOG_FILE)
