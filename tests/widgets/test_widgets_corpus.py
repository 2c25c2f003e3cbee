"""Corpus endpoints pass `falwidgets schema check` (the shipped check, not a copy of it): a
complete form (Advanced included) whose defaults and example round trip.

A sample of the corpus by default (every ``corpus_stride``-th document, the seeds and the endpoints
without input); the whole corpus with ``FALWIDGETS_SHARED``. Build times are measured by
``bench/forms.py``, not here.
"""

from __future__ import annotations

from pathlib import Path

from falwidgets.widgets._cli import check_endpoint

NO_INPUT = {  # the OpenAI pass-through endpoints
    "openrouter/router/openai/v1/chat/completions",
    "openrouter/router/openai/v1/embeddings",
    "openrouter/router/openai/v1/responses",
    "perceptron/isaac-01/openai/v1/chat/completions",
}


def test_corpus_passes_the_schema_check(
    corpus_dir: Path, seeds_dir: Path, corpus_stride: int
) -> None:
    corpus = sorted(corpus_dir.glob("*.json"))
    assert len(corpus) >= 1300
    wanted = {corpus_dir / (endpoint_id.replace("/", "__") + ".json") for endpoint_id in NO_INPUT}
    paths = sorted({*corpus[::corpus_stride], *wanted}) + sorted(seeds_dir.glob("*.json"))
    reports = [check_endpoint(str(path)) for path in paths]
    failures = [f"{r['endpoint']}: {r['error']}" for r in reports if r["ok"] is False]
    no_input = {r["endpoint"] for r in reports if r["ok"] is None}
    assert not failures, failures[:20]
    assert no_input == NO_INPUT, no_input
