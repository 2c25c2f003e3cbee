"""Fixtures of the preview tests: corpus Output examples and the HTML safety checker."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from preview_cases import HtmlCheck, example_output, output_component, parse_html


@pytest.fixture(scope="session")
def corpus_outputs(corpus_dir: Path) -> dict[str, dict[str, Any]]:
    """endpoint file stem -> example output, for every corpus document with an Output schema."""
    found = {}
    for path in sorted(corpus_dir.glob("*.json")):
        doc = json.loads(path.read_text())
        if output_component(doc) is not None:
            found[path.stem] = example_output(doc)
    return found


@pytest.fixture
def check_html() -> Callable[[str], HtmlCheck]:
    """Parse rendered HTML and fail on any tag, handler or URL a server could have injected."""

    def check(html: str) -> HtmlCheck:
        checker = parse_html(html)
        assert not checker.problems, checker.problems
        return checker

    return check
