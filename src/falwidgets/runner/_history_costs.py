"""What the history's runs cost: an estimate per finished run on each row and the total.

A mixin of :class:`falwidgets.runner.History` (issue 13) kept out of the widget module: the rule is
``_costs.run_costs`` (unit price where runs go x units counted from each run's inputs: an
estimate, not fal's bill). Rows get ``cost`` as they are paged; the total over every completed run
is counted in a thread on each refresh, so a history of 10,000 runs opens without waiting on it.
"""

from __future__ import annotations

import threading
from typing import Any

import traitlets

from falwidgets.runner._costs import UNKNOWN, money, run_costs

COMPLETED = "COMPLETED"


def cost_text(cost: float | None) -> str:
    return f"est. {money(cost)}" if cost is not None else UNKNOWN


def total_line(total: float, unknown: int, count: int) -> str:
    """``"est. $0.12 for 5 runs"``, naming the runs with no estimate; ``""`` with no runs."""
    if not count:
        return ""
    runs = f"{count} run{'s' * (count != 1)}"
    if unknown == count:
        return f"{runs}: {UNKNOWN}"
    tail = f" ({unknown} with {UNKNOWN})" if unknown else ""
    return f"est. {money(total)} for {runs}{tail}"


class HistoryCosts(traitlets.HasTraits):
    """``cost_total`` (synced) and the ``cost`` of each row; History calls :meth:`_row_costs`
    in ``page`` and :meth:`_recount_costs` in ``refresh``."""

    cost_total = traitlets.Unicode("").tag(sync=True)

    # set by History
    endpoint: str | None
    limit: int | None
    _client: Any

    def _row_costs(self, rows: list[dict[str, Any]], arguments: dict[str, Any]) -> None:
        """Add ``cost`` to each row: an estimate for completed runs, "" for the others.
        ``arguments``: request id -> the run's inputs."""
        done = [
            (row["id"], row["endpoint"], arguments.get(row["id"]) or {})
            for row in rows
            if row.get("status") == COMPLETED
        ]
        costs = run_costs(done, client=self._client)[0] if done else {}
        for row in rows:
            row["cost"] = cost_text(costs[row["id"]]) if row["id"] in costs else ""

    def _recount_costs(self) -> None:
        thread = threading.Thread(target=self._count_total, name="falwidgets-costs", daemon=True)
        thread.start()

    def _count_total(self) -> None:
        from falwidgets.client import journal

        try:
            entries = journal(limit=self.limit, endpoint=self.endpoint, status=COMPLETED)
            _, total, unknown = run_costs(
                [(e.request_id, e.endpoint, e.arguments) for e in entries], client=self._client
            )
            line = total_line(total, unknown, len(entries))
        except Exception:  # a closed journal or a failed price look-up: no total, never a guess
            line = ""
        if not getattr(self, "_closed", False):
            self.cost_total = line
