"""Fixtures for the schema layer: the whole corpus (plus seeds) loaded once per session."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest


@pytest.fixture(scope="session")
def corpus_docs(corpus_dir: Path, seeds_dir: Path) -> dict[str, dict[str, Any]]:
    """file stem -> parsed document, for the 1,337 endpoints and the three seeds."""
    files = sorted(corpus_dir.glob("*.json")) + sorted(seeds_dir.glob("*.json"))
    return {f"{f.parent.name}/{f.stem}": json.loads(f.read_text(encoding="utf-8")) for f in files}


@pytest.fixture(scope="session")
def corpus_schemas(corpus_docs: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """file stem -> `EndpointSchema`, built once (fresh objects, not the load_endpoint cache)."""
    from falwidgets.schema._endpoint import EndpointSchema

    return {key: EndpointSchema(doc) for key, doc in corpus_docs.items()}
