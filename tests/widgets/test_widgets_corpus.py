"""Corpus endpoints build a complete form (Advanced included) whose defaults round trip.

A sample of the corpus by default (every ``corpus_stride``-th document, the seeds and the endpoints
without input); the whole corpus with ``FALWIDGETS_SHARED``. Build times are measured by
``bench/forms.py``, not here.
"""

from __future__ import annotations

from pathlib import Path

from falwidgets.schema import load_endpoint
from falwidgets.widgets import Form
from falwidgets.widgets._cli import _covers, _same, shown_defaults

NO_INPUT = {  # the OpenAI pass-through endpoints
    "openrouter/router/openai/v1/chat/completions",
    "openrouter/router/openai/v1/embeddings",
    "openrouter/router/openai/v1/responses",
    "perceptron/isaac-01/openai/v1/chat/completions",
}


def test_corpus_builds_and_defaults_round_trip(
    corpus_dir: Path, seeds_dir: Path, corpus_stride: int
) -> None:
    corpus = sorted(corpus_dir.glob("*.json"))
    assert len(corpus) >= 1300
    wanted = {corpus_dir / (endpoint_id.replace("/", "__") + ".json") for endpoint_id in NO_INPUT}
    paths = sorted({*corpus[::corpus_stride], *wanted}) + sorted(seeds_dir.glob("*.json"))
    failures: list[str] = []
    no_input: list[str] = []
    for path in paths:
        schema = load_endpoint(path)
        if schema.input is None:
            no_input.append(schema.endpoint_id)
            continue
        made = Form(schema.input, endpoint_id=schema.endpoint_id, endpoint=schema, expand=True)
        assert made.advanced_built, schema.endpoint_id
        if "could not build" in made._message.value:
            failures.append(f"{schema.endpoint_id}: {made._message.value}")
            continue
        fallbacks = made.fallback_fields()
        missed = _covers(shown_defaults(schema.input, schema.defaults()), made.value)
        if fallbacks or missed:
            failures.append(f"{schema.endpoint_id}: fallbacks={fallbacks} missed={missed}")
            continue
        value = made.value
        made.value = value  # and back in
        if not _same(made.value, value) or made.errors:
            failures.append(f"{schema.endpoint_id}: round trip {made.errors}")
    assert not failures, failures[:20]
    assert set(no_input) == NO_INPUT, no_input
