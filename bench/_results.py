"""Write one benchmark's section of ``bench/RESULTS.md`` without touching the others."""

from __future__ import annotations

import platform
import sys
from datetime import datetime, timezone
from pathlib import Path

RESULTS = Path(__file__).with_name("RESULTS.md")
HEADER = "# Benchmark results\n\nEach section is rewritten by the script named in it.\n"


def write_section(name: str, command: str, body: str) -> None:
    """Replace the section ``name`` (between markers) with ``body``, stamped with the command."""
    start, end = f"<!-- begin {name} -->", f"<!-- end {name} -->"
    stamp = datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    machine = f"{platform.machine()}, Python {sys.version.split()[0]}"
    block = (
        f"{start}\n## {name}\n\nCommand: `{command}`  \nRun: {stamp} on {machine}\n\n"
        f"{body.strip()}\n{end}"
    )
    text = RESULTS.read_text() if RESULTS.exists() else HEADER
    if start in text and end in text:
        before, rest = text.split(start, 1)
        _, after = rest.split(end, 1)
        text = before + block + after
    else:
        text = text.rstrip() + "\n\n" + block + "\n"
    RESULTS.write_text(text)
