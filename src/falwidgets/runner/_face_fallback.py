"""TEMPORARY (remove at merge): result blocks until face-results' `previews.describe` is merged.

`runner/_face_app.result_blocks` uses `falwidgets.previews.describe(output, spec=...)` when it
exists and falls back to this module otherwise; the browser side is js/src/app/results_fallback.js.
Both go when the face-results branch is merged.
"""

from __future__ import annotations

import json
import re
from typing import Any


def fallback_blocks(output: Any) -> list[dict[str, Any]]:
    """TEMPORARY until face-results' `previews.describe` is merged: images + JSON only."""
    from falwidgets.previews._safety import safe_url

    images: list[dict[str, Any]] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            url, ctype = node.get("url"), str(node.get("content_type") or "")
            if isinstance(url, str) and (
                ctype.startswith("image/") or re.search(r"\.(png|jpe?g|webp|gif)$", url, re.I)
            ):
                safe = safe_url(url)
                if safe:
                    images.append(
                        {"url": safe, "width": node.get("width"), "height": node.get("height")}
                    )
                return
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)

    walk(output)
    blocks: list[dict[str, Any]] = []
    if images:
        blocks.append({"kind": "images", "images": images})
    blocks.append({"kind": "json", "value": json.loads(json.dumps(output, default=str))})
    return blocks
