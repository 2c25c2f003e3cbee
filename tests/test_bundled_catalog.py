"""The corpus the tests read: the bundled catalog by default, the shared corpus when configured."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from falwidgets.schema import catalog
from falwidgets.schema._catalog import catalog_document

SEEDS = {"anthonywu__gamecraft", "fal-ai__flux-realism", "fal-ai__toon-crafter"}


def _files(corpus_dir: Path, seeds_dir: Path) -> list[Path]:
    return sorted(corpus_dir.glob("*.json")) + sorted(seeds_dir.glob("*.json"))


def test_corpus_files_are_the_catalog_documents(corpus_dir: Path, seeds_dir: Path) -> None:
    ids = {path.stem.replace("__", "/") for path in _files(corpus_dir, seeds_dir)}
    assert ids == set(catalog())
    assert {path.stem for path in seeds_dir.glob("*.json")} == SEEDS
    dev = json.loads((corpus_dir / "fal-ai__flux__dev.json").read_text(encoding="utf-8"))
    assert dev == catalog_document("fal-ai/flux/dev")


@pytest.mark.shared_corpus
def test_bundled_catalog_holds_every_shared_document(shared_dir: Path) -> None:
    """A corpus update without `python -m falwidgets.schema._catalog build` is caught here."""
    folder = shared_dir / "fal-schemas"
    stale = [
        path.name
        for path in _files(folder / "endpoints", folder / "seeds")
        if json.loads(path.read_text(encoding="utf-8"))
        != catalog_document(path.stem.replace("__", "/"))
    ]
    assert not stale, f"rebuild the catalog: {len(stale)} documents differ, e.g. {stale[:5]}"
