"""`falwidgets schema check`: one JSON line per endpoint, a summary, and the exit status."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from falwidgets.cli import main

KEYS = {
    "endpoint",
    "ok",
    "fields",
    "fallback_fields",
    "defaults_roundtrip",
    "example_roundtrip",
    "build_ms",
    "error",
}


def _lines(out: str) -> list[dict]:
    return [json.loads(line) for line in out.splitlines() if line.strip()]


def test_check_seeds_and_a_no_input_endpoint(
    seeds_dir: Path, corpus_dir: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    no_input = corpus_dir / "openrouter__router__openai__v1__embeddings.json"
    code = main(["schema", "check", str(seeds_dir), str(no_input), "fal-ai/flux/dev", "--json"])
    reports = _lines(capsys.readouterr().out)
    summary = reports.pop()
    assert code == 0
    assert {r["endpoint"] for r in reports} >= {
        "fal-ai/toon-crafter",
        "anthonywu/gamecraft",
        "fal-ai/flux-realism",
        "fal-ai/flux/dev",
    }
    for report in reports:
        assert set(report) == KEYS
        if report["endpoint"] == "openrouter/router/openai/v1/embeddings":
            assert report["error"] == "no input schema" and report["ok"] is None
        else:
            assert report["ok"] is True, report
            assert report["fallback_fields"] == [] and report["fields"] > 0
            assert report["defaults_roundtrip"] and report["example_roundtrip"]
            assert report["build_ms"] > 0
    assert summary["summary"] and summary["no_input_schema"] == 1 and summary["not_ok"] == 0


def test_check_exit_status_when_broken(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.json"
    broken.write_text("{not json")
    assert main(["schema", "check", str(broken), "--json"]) == 1
    (report, summary) = _lines(capsys.readouterr().out)
    assert report["ok"] is False and report["error"]
    assert summary["not_ok"] == 1


def test_check_builds_the_advanced_section_and_takes_flowedit() -> None:
    from falwidgets.widgets import register_widget
    from falwidgets.widgets._cli import check_endpoint

    flowedit = check_endpoint("fal-ai/flowedit")  # odd integer defaults (1.5) are field errors
    assert flowedit["ok"] is True, flowedit

    def explode(spec: object) -> object:
        raise RuntimeError("advanced widget crashed")

    with register_widget(lambda s: s.name == "num_images", explode):
        report = check_endpoint("fal-ai/flux/dev")  # num_images is an Advanced field
    assert report["ok"] is False and "advanced widget crashed" in report["error"]
