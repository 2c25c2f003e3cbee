"""The error for an endpoint id that is not in the catalog, with the closest ids as a hint.

Kept apart from `_catalog` so that `import falwidgets.schema` stays cheap (no urllib).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class UnknownEndpoint(KeyError, ValueError):
    """An endpoint id that is not in the bundled catalog (nor a file or a URL).

    A `LookupError` and a `ValueError` at once, with a plain message: `KeyError` alone would
    show the message in quotes. `.suggestions` holds the closest catalog ids.
    """

    def __init__(self, endpoint_id: str, suggestions: list[str]) -> None:
        super().__init__(endpoint_id)
        self.endpoint_id = endpoint_id
        self.suggestions = suggestions

    def __str__(self) -> str:
        hint = f" Did you mean: {', '.join(self.suggestions)}?" if self.suggestions else ""
        return (
            f"unknown endpoint {self.endpoint_id!r}: not a file, a URL or a bundled endpoint id."
            f"{hint} (falwidgets.schema.catalog() lists them all; use a fal OpenAPI URL or a "
            "JSON file for others.)"
        )


def closest(endpoint_id: str, ids: Iterable[str], n: int = 5) -> list[str]:
    """Catalog ids most like `endpoint_id`: whole-id matches first, then by the name alone."""
    ids = list(ids)
    wanted = endpoint_id.strip().strip("/").lower()
    found = difflib.get_close_matches(wanted, ids, n=n, cutoff=0.6)
    if len(found) < n:
        name = wanted.rsplit("/", 1)[-1]
        by_name: dict[str, list[str]] = {}
        for e in ids:
            by_name.setdefault(e.rsplit("/", 1)[-1].lower(), []).append(e)
        for match in difflib.get_close_matches(name, list(by_name), n=n, cutoff=0.6):
            found += [e for e in by_name[match] if e not in found]
    return found[:n]
