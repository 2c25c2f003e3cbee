"""The cost gate of a batch (sweep, compare): shows the estimated total before anything starts and
holds the batch back above ``FALWIDGETS_CONFIRM_ABOVE`` until the user clicks Start (or code calls
``confirm()``). An unknown total does not hold a batch back: it says "price unknown" instead.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from typing import Any

import ipywidgets as w

from falwidgets.previews import esc
from falwidgets.runner._costs import (
    CONFIRM_ENV,
    ConfirmationRequired,
    batch_total,
    confirm_above,
    money,
    total_text,
)


class CostGate(w.HBox):
    """``text`` (the estimate line), ``held`` (waiting for confirmation) and a Start button."""

    def __init__(
        self,
        calls: Iterable[tuple[str, Mapping[str, Any]]],
        *,
        client: Any = None,
        confirmed: bool = False,
        on_confirm: Callable[[], Any] | None = None,
    ) -> None:
        calls = list(calls)
        self.threshold = confirm_above()
        self.total, self.unknown = batch_total(calls, client=client)
        self.text = total_text(self.total, self.unknown, len(calls))
        self.held = self.total > self.threshold and not confirmed
        self._on_confirm = on_confirm
        self.label = w.HTML(self._label())
        self.label.add_class("fw-cost-total")
        self.start_button = w.Button(
            description=f"Start ({money(self.total)})",
            button_style="warning",
            icon="play",
            tooltip=f"Above {CONFIRM_ENV}={money(self.threshold)}: confirm to start",
        )
        self.start_button.add_class("fw-cost-confirm")
        self.start_button.on_click(lambda _b: self.confirm())
        self.start_button.layout.display = None if self.held else "none"
        super().__init__([self.label, self.start_button])
        self.add_class("fw-cost-gate")

    def _label(self) -> str:
        hold = f" · above {money(self.threshold)}: click Start to run" if self.held else ""
        return f'<span class="fw-note-text">{esc(self.text)}{esc(hold)}</span>'

    def confirm(self) -> None:
        """Let the batch start (idempotent)."""
        if not self.held:
            return
        self.held = False
        self.start_button.layout.display = "none"
        self.label.value = self._label()
        if self._on_confirm is not None:
            self._on_confirm()

    def check(self) -> None:
        """Raise :class:`ConfirmationRequired` while held (a wait would otherwise never end)."""
        if self.held:
            raise ConfirmationRequired(
                f"this batch is {self.text}, above {CONFIRM_ENV}={money(self.threshold)}: "
                "click Start, call .confirm(), or pass confirm=True"
            )
