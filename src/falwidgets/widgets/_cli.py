"""`falwidgets schema check`: build the form of each endpoint document and report its health.

One JSON line per endpoint: {endpoint, ok, fields, fallback_fields, defaults_roundtrip,
example_roundtrip, build_ms, error}, then a summary line. Exit status 1 if any endpoint with an
Input schema is not ok; documents without one are reported (`"ok": null`) but do not fail.
Forms are built with `expand=True` (Advanced section included), so a crash there cannot hide.

The command is named for what it checks (schemas) but lives in the widgets layer because what it
checks is that each schema builds a working *form*: a schema-layer check could not see a widget
that crashes or falls back to a JSON editor. The corpus test runs `check_endpoint` itself.
"""

from __future__ import annotations

import argparse
import json
import math
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any


def add_parser(subparsers: Any) -> argparse.ArgumentParser:
    parser = subparsers.add_parser(
        "schema", help="check that endpoint schemas build complete forms"
    )
    sub = parser.add_subparsers(dest="schema_command", metavar="ACTION", required=True)
    check = sub.add_parser("check", help="build each endpoint's form and report per endpoint")
    check.add_argument("sources", nargs="+", metavar="PATH_OR_DIR_OR_ENDPOINT")
    check.add_argument("--json", action="store_true", help="JSON lines only (no text summary)")
    check.set_defaults(func=_run_check)
    return parser


def _sources(args: list[str]) -> Iterator[str]:
    for arg in args:
        path = Path(arg)
        if path.is_dir():
            yield from (str(p) for p in sorted(path.glob("*.json")))
        else:
            yield arg


def _same(a: Any, b: Any) -> bool:
    """JSON equality where 1 == 1.0 and nulls (sent as nothing) are dropped from objects."""
    if isinstance(a, dict) and isinstance(b, dict):
        a = {k: v for k, v in a.items() if v is not None}
        b = {k: v for k, v in b.items() if v is not None}
        return a.keys() == b.keys() and all(_same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(_same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, (int, float)) and isinstance(b, (int, float)) and not isinstance(a, bool):
        return not isinstance(b, bool) and math.isclose(a, b)
    return bool(a == b)


def _covered(expected: Any, got: Any) -> bool:
    """`got` shows `expected`; nested objects may add their own defaults for absent keys."""
    if isinstance(expected, dict) and isinstance(got, dict):
        return all(v is None or _covered(v, got.get(k)) for k, v in expected.items())
    if isinstance(expected, list) and isinstance(got, list):
        return len(expected) == len(got) and all(map(_covered, expected, got))
    return _same(expected, got)


def _prune(spec: Any, value: Any) -> Any:
    """Drop keys a schema does not declare (some documents' examples carry stale keys)."""
    if spec is None:
        return value
    if spec.kind == "object" and spec.properties and isinstance(value, dict):
        known = {p.name: p for p in spec.properties}
        if spec.additional_properties:
            return value
        return {k: _prune(known[k], v) for k, v in value.items() if k in known}
    if spec.kind == "array" and isinstance(value, list):
        return [_prune(spec.items, v) for v in value]
    return value


def shown_defaults(spec: Any, values: dict[str, Any]) -> dict[str, Any]:
    """What a form can show of `values` (defaults, or an example built from them): a schema
    default that breaks its own field's type (fal-ai/flowedit: an `integer` defaulting to 1.5)
    is left to the server and marked on the field instead."""
    from falwidgets.schema import MISSING
    from falwidgets.widgets._spec_json import initial_value

    def broken_default(name: str, value: Any) -> bool:
        prop = known.get(name)
        return prop is not None and value == prop.default and initial_value(prop) is MISSING

    known = {p.name: p for p in spec.properties}
    return {k: v for k, v in values.items() if v is None or not broken_default(k, v)}


def _covers(expected: dict[str, Any], got: dict[str, Any]) -> list[str]:
    """Keys of `expected` (non-null) that `got` does not reproduce."""
    return [k for k, v in expected.items() if v is not None and not _covered(v, got.get(k))]


def check_endpoint(source: str) -> dict[str, Any]:
    """Build, round-trip and validate one endpoint's form; never raises."""
    from falwidgets.schema import load_endpoint
    from falwidgets.widgets._form import Form

    report: dict[str, Any] = {
        "endpoint": source,
        "ok": False,
        "fields": 0,
        "fallback_fields": [],
        "defaults_roundtrip": False,
        "example_roundtrip": False,
        "build_ms": None,
        "error": None,
    }
    built: Form | None = None
    try:
        schema = load_endpoint(source)
        report["endpoint"] = schema.endpoint_id or source
        if schema.input is None:
            report.update(ok=None, error="no input schema")
            return report
        start = time.perf_counter()
        built = Form(schema.input, endpoint_id=schema.endpoint_id, endpoint=schema)
        json.dumps(built.get_state()["spec"])  # the field tree goes to the browser as JSON
        report["build_ms"] = round((time.perf_counter() - start) * 1000, 2)
        report["fields"] = sum(1 for _ in schema.input.walk()) - 1
        report["fallback_fields"] = built.fallback_fields()
        problems: list[str] = []

        value = dict(built.value)
        missed = _covers(shown_defaults(schema.input, schema.defaults()), value)
        built.value = value  # the value back into the form (and then the example)
        if missed:
            problems.append(f"defaults not shown: {missed}")
        elif not _same(built.value, value) or _wrong(built.errors):
            problems.append(f"defaults do not round trip: {_wrong(built.errors) or built.value}")
        else:
            report["defaults_roundtrip"] = True

        example = shown_defaults(schema.input, _prune(schema.input, schema.example()))
        built.value = example
        got = dict(built.value)
        missed = _covers(example, got)
        if missed or _wrong(built.errors):
            problems.append(f"example not shown: {missed or _wrong(built.errors)}")
        else:
            try:
                schema.input_model().model_validate(got)
            except Exception as exc:
                problems.append(f"example does not validate: {str(exc).splitlines()[0:3]}")
            else:
                report["example_roundtrip"] = True
        if report["fallback_fields"]:
            problems.append(f"generic JSON box for {report['fallback_fields'][:5]}")
        if schema.input.properties and not built.spec["layout"]["main"]:
            problems.append("empty main section")
        report["ok"] = not problems
        report["error"] = "; ".join(problems)[:500] or None
    except Exception as exc:  # a crash is a finding, reported like the rest
        report["error"] = f"{type(exc).__name__}: {exc}"[:500]
    finally:
        if built is not None:  # a check over 1,340 endpoints must not keep 1,340 widget models
            built.close()
    return report


def _wrong(errors: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Errors about a value shown (not a required field the defaults leave empty, such as a
    nested object's required URL: the user fills those in, the round trip cannot)."""
    return [e for e in errors if e.get("type") != "missing"]


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    if not ordered:
        return 0.0
    index = min(len(ordered) - 1, max(0, math.ceil(q * len(ordered)) - 1))
    return ordered[index]


def _run_check(args: argparse.Namespace) -> int:
    reports = []
    for source in _sources(args.sources):
        report = check_endpoint(source)
        reports.append(report)
        print(json.dumps(report), flush=True)
    times = [r["build_ms"] for r in reports if r["build_ms"] is not None]
    summary = {
        "summary": True,
        "endpoints": len(reports),
        "ok": sum(1 for r in reports if r["ok"] is True),
        "not_ok": sum(1 for r in reports if r["ok"] is False),
        "no_input_schema": sum(1 for r in reports if r["ok"] is None),
        "fallback_fields": sum(len(r["fallback_fields"]) for r in reports),
        "build_ms_median": round(_percentile(times, 0.5), 2),
        "build_ms_p99": round(_percentile(times, 0.99), 2),
    }
    print(json.dumps(summary))
    if not args.json:
        print(
            f"{summary['ok']}/{summary['endpoints']} ok, {summary['not_ok']} not ok, "
            f"{summary['no_input_schema']} without input schema; build median "
            f"{summary['build_ms_median']} ms, p99 {summary['build_ms_p99']} ms",
            file=sys.stderr,
        )
    return 1 if summary["not_ok"] else 0
