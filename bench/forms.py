"""Form build time over the whole schema corpus: falwidgets vs ipyautoui, same schemas, same run.

Usage: python bench/forms.py [--every N] [--no-ipyautoui]

Schemas are loaded and converted before timing (both tools get a ready schema); the timed part is
the construction of the widget tree. The headline row builds every widget (`expand=True`), like
ipyautoui does; the lazy default (Advanced built on first open) is a second row. ipyautoui gets
each endpoint's Input schema with the document's components as `$defs`, which is how it expects
JSON Schema. Writes the "forms" section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import contextlib
import gc
import io
import json
import logging
import math
import statistics
import sys
import time
import warnings
from typing import Any

from _results import write_section

SEEDS = ("anthonywu/gamecraft", "fal-ai/flux-realism", "fal-ai/toon-crafter")


def _pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))] if ordered else 0.0


def _json_schema(document: dict[str, Any], input_spec: Any) -> dict[str, Any]:
    """The Input schema as standalone JSON Schema (components become `$defs`)."""
    components = (document.get("components") or {}).get("schemas") or {}
    text = json.dumps(dict(input_spec.schema)).replace("#/components/schemas/", "#/$defs/")
    schema = json.loads(text)
    schema["$defs"] = json.loads(
        json.dumps(components).replace("#/components/schemas/", "#/$defs/")
    )
    return schema


def _time(build: Any) -> tuple[float | None, str | None]:
    gc.disable()
    try:
        start = time.perf_counter()
        build()
        return (time.perf_counter() - start) * 1000, None
    except Exception as exc:
        return None, f"{type(exc).__name__}: {str(exc)[:120]}"
    finally:
        gc.enable()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--every", type=int, default=1, help="use every Nth endpoint (default all)")
    parser.add_argument("--no-ipyautoui", action="store_true")
    args = parser.parse_args()

    from falwidgets.schema import catalog, load_endpoint
    from falwidgets.widgets import Form

    # the bundled catalog is the shared corpus plus the seeds (tests check they agree)
    paths = [i for i in catalog() if i not in SEEDS][:: args.every] + list(SEEDS)
    schemas = [s for s in (load_endpoint(p) for p in paths) if s.input is not None]
    Form(schemas[0].input)  # warm imports

    ours_by_id: dict[str, float] = {}  # expand=True: every widget built (like ipyautoui)
    lazy: list[float] = []  # the default: Advanced built on first open
    ours_ok = 0
    for schema in schemas:
        ms, _ = _time(
            lambda s=schema: Form(s.input, endpoint_id=s.endpoint_id, endpoint=s, expand=True)
        )
        if ms is not None:
            ours_by_id[schema.endpoint_id] = ms
            ours_ok += not Form(schema.input).fallback_fields()
        ms, _ = _time(lambda s=schema: Form(s.input, endpoint_id=s.endpoint_id, endpoint=s))
        if ms is not None:
            lazy.append(ms)
    ours = list(ours_by_id.values())

    theirs: dict[str, float] = {}
    their_errors: dict[str, str] = {}
    ours_same: list[float] = []
    if not args.no_ipyautoui:
        logging.disable(logging.CRITICAL)
        warnings.simplefilter("ignore")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            from ipyautoui import AutoUi

            AutoUi(schema=_json_schema(schemas[0].document, schemas[0].input))  # warm
            for schema in schemas:
                js = _json_schema(dict(schema.document), schema.input)
                ms, err = _time(lambda js=js: AutoUi(schema=js))
                if ms is None:
                    their_errors[schema.endpoint_id] = err or "?"
                else:
                    theirs[schema.endpoint_id] = ms
                    ours_same.append(ours_by_id.get(schema.endpoint_id, math.nan))

    n = len(schemas)
    sample = "the whole corpus" if args.every == 1 else f"one corpus endpoint in {args.every}"
    lines = [
        f"{n} endpoints with an Input schema ({len(paths)} documents: {sample} plus the 3 "
        "seeds). Times are widget-tree construction only, in ms.",
        "",
        "| tool | built | complete (no fallback fields) | median ms | p90 ms | p99 ms | max ms |",
        "|---|---|---|---|---|---|---|",
        f"| falwidgets, all widgets (`expand=True`) | {len(ours)}/{n} | {ours_ok}/{n} | "
        f"{statistics.median(ours):.2f} | {_pct(ours, 0.9):.2f} | {_pct(ours, 0.99):.2f} | "
        f"{max(ours):.1f} |",
        f"| falwidgets, lazy default (Advanced on first open) | {len(lazy)}/{n} | same | "
        f"{statistics.median(lazy):.2f} | {_pct(lazy, 0.9):.2f} | {_pct(lazy, 0.99):.2f} | "
        f"{max(lazy):.1f} |",
    ]
    if theirs:
        their = list(theirs.values())
        lines.append(
            f"| ipyautoui | {len(theirs)}/{n} | n/a (unions, files not typed) | "
            f"{statistics.median(their):.2f} | {_pct(their, 0.9):.2f} | {_pct(their, 0.99):.2f} | "
            f"{max(their):.1f} |"
        )
        ratio = statistics.median(their) / statistics.median(ours_same)
        lines += [
            "",
            f"On the {len(theirs)} endpoints ipyautoui can build, falwidgets with every widget "
            f"built has a median of {statistics.median(ours_same):.2f} ms vs "
            f"{statistics.median(their):.2f} ms: **{ratio:.1f}x faster** (target ≥ 3x); the "
            "lazy default is faster still.",
        ]
        if their_errors:
            kinds: dict[str, int] = {}
            for err in their_errors.values():
                kinds[err.split(":")[0]] = kinds.get(err.split(":")[0], 0) + 1
            lines.append(
                f"ipyautoui failed on {len(their_errors)}: "
                + ", ".join(f"{k} x{v}" for k, v in sorted(kinds.items(), key=lambda x: -x[1]))
            )
    lines += [
        "",
        "Targets: median ≤ 10 ms, p99 ≤ 60 ms per form (both rows). By default optional fields "
        "sit in a collapsed Advanced section built on first open, and optional toggles build "
        "their inner widget on first use; `.value` works without either.",
    ]
    body = "\n".join(lines)
    command = "python bench/forms.py" + (f" --every {args.every}" if args.every != 1 else "")
    write_section("forms", command, body)
    print(body)
    return 0


if __name__ == "__main__":
    sys.exit(main())
