"""Every corpus endpoint builds a complete form (Advanced included) whose defaults round trip."""

from __future__ import annotations

import time
from pathlib import Path

from falwidgets.schema import load_endpoint
from falwidgets.widgets import Form
from falwidgets.widgets._cli import _covers, _same, shown_defaults


def test_whole_corpus_builds_and_defaults_round_trip(corpus_dir: Path, seeds_dir: Path) -> None:
    paths = sorted(corpus_dir.glob("*.json")) + sorted(seeds_dir.glob("*.json"))
    assert len(paths) >= 1300
    failures: list[str] = []
    no_input: list[str] = []
    times: list[float] = []
    for path in paths:
        schema = load_endpoint(path)
        if schema.input is None:
            no_input.append(schema.endpoint_id)
            continue
        start = time.perf_counter()
        made = Form(schema.input, endpoint_id=schema.endpoint_id, endpoint=schema, expand=True)
        times.append(time.perf_counter() - start)
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
    assert len(no_input) == 4, no_input  # the OpenAI pass-through endpoints
    times.sort()
    assert (
        times[len(times) // 2] < 0.05
    )  # generous: CI machines are shared; bench/forms.py times it
