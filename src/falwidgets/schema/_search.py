"""Free-text search over ``/v1/models`` records: the one ranking rule for the browser and server.

fal's ``q`` searches name, description and category (fal-platform.md §2.2). Here each record gets
one lower-cased haystack per field, built once; a query matches when every word occurs in some
field, and ranks by where it occurs (id or name before category before description). A plain
substring scan over 1,340 short strings takes well under a millisecond per keystroke
(``bench/browse.py``), so no inverted index is needed.
"""

from __future__ import annotations

import re
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

# field -> weight of a word found there (an exact word start scores double)
WEIGHTS: dict[str, float] = {"id": 8.0, "name": 8.0, "category": 4.0, "tags": 3.0, "text": 1.0}

_WORD = re.compile(r"[\w.]+", re.UNICODE)


def words(query: str | None) -> list[str]:
    """The lower-cased words of a query (``"Flux  dev"`` -> ``["flux", "dev"]``)."""
    return _WORD.findall((query or "").lower())


FIELDS = ("id", "name", "category", "tags", "text")  # in falling weight: see ``_Entry.text``


@dataclass(frozen=True)
class _Entry:
    """One record: its fields joined by NUL in falling weight order, so the *first* occurrence of
    a word (one ``str.find``) is in the best field it occurs in."""

    record: Mapping[str, Any]
    endpoint_id: str
    text: str
    ends: tuple[int, ...]  # end offset of each field in ``text``
    category: str
    status: str


class ModelIndex:
    """An in-memory index of model records (``{endpoint_id, metadata}``); ``search`` ranks them."""

    def __init__(self, records: Iterable[Mapping[str, Any]]) -> None:
        self._entries: list[_Entry] = []
        for record in records:
            meta = record.get("metadata") or {}
            endpoint_id = str(record.get("endpoint_id", ""))
            parts = (
                endpoint_id.lower(),
                str(meta.get("display_name") or "").lower().replace("\0", " "),
                str(meta.get("category") or "").lower(),
                " ".join(str(t) for t in meta.get("tags") or []).lower(),
                str(meta.get("description") or "").lower().replace("\0", " "),
            )
            ends, at = [], 0
            for part in parts:
                at += len(part)
                ends.append(at)
                at += 1
            self._entries.append(
                _Entry(
                    record,
                    endpoint_id,
                    "\0".join(parts),
                    tuple(ends),
                    str(meta.get("category") or ""),
                    str(meta.get("status") or "active"),
                )
            )

    def __len__(self) -> int:
        return len(self._entries)

    def categories(self) -> list[tuple[str, int]]:
        """Categories with their counts, most common first."""
        counts: dict[str, int] = {}
        for entry in self._entries:
            counts[entry.category] = counts.get(entry.category, 0) + 1
        return sorted(counts.items(), key=lambda item: (-item[1], item[0]))

    def search(
        self,
        q: str | None = None,
        *,
        category: str | None = None,
        status: str | None = None,
        endpoint_ids: Sequence[str] | None = None,
    ) -> list[Mapping[str, Any]]:
        """Records matching every word of ``q`` and the filters, best first (stable by id when
        there is no query)."""
        terms = words(q)
        wanted = {e.strip("/") for e in endpoint_ids} if endpoint_ids else None
        weights = [WEIGHTS[f] for f in FIELDS]
        scored: list[tuple[float, str, Mapping[str, Any]]] = []
        for entry in self._entries:
            if category and entry.category != category:
                continue
            if status and entry.status != status:
                continue
            if wanted is not None and entry.endpoint_id not in wanted:
                continue
            text, score = entry.text, 0.0
            for term in terms:
                at = text.find(term)
                if at < 0:
                    break
                weight = weights[bisect_left(entry.ends, at)]
                score += weight * 2 if at == 0 or not text[at - 1].isalnum() else weight
            else:
                scored.append((-score, entry.endpoint_id, entry.record))
        scored.sort(key=lambda item: (item[0], len(item[1]), item[1]))
        return [record for _, _, record in scored]
