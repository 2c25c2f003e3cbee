"""Every corpus endpoint passes `falwidgets schema check`: a complete form (Advanced included)
whose defaults and example round trip. The test runs the shipped check, not a copy of it."""

from __future__ import annotations

from pathlib import Path

from falwidgets.widgets._cli import check_endpoint


def test_whole_corpus_passes_the_schema_check(corpus_dir: Path, seeds_dir: Path) -> None:
    paths = sorted(corpus_dir.glob("*.json")) + sorted(seeds_dir.glob("*.json"))
    assert len(paths) >= 1300
    reports = [check_endpoint(str(path)) for path in paths]
    failures = [f"{r['endpoint']}: {r['error']}" for r in reports if r["ok"] is False]
    no_input = [r["endpoint"] for r in reports if r["ok"] is None]
    assert not failures, failures[:20]
    assert len(no_input) == 4, no_input  # the OpenAI pass-through endpoints
