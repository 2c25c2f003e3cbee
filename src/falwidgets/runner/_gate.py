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


class CostHold:
    """The rule, whatever draws it: ``text`` (the estimate line), ``held`` (waiting for
    confirmation above the threshold), :meth:`confirm` and :meth:`check`. Views (the ipywidget
    below, the sweep anywidget's ``cost`` trait) read these and call ``confirm``."""

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
        self._listeners: list[Callable[[], Any]] = []

    @property
    def hold_text(self) -> str:
        """What follows the estimate while held (plain text; views escape it)."""
        return f"above {money(self.threshold)}: click Start to run" if self.held else ""

    @property
    def start_label(self) -> str:
        return f"Start ({money(self.total)})"

    def state(self) -> dict[str, Any]:
        """JSON for an anywidget: the line, whether it is held, the Start button's label."""
        return {
            "line": self.text,
            "hold": self.hold_text,
            "held": self.held,
            "start": self.start_label,
        }

    def on_change(self, callback: Callable[[], Any]) -> None:
        self._listeners.append(callback)

    def confirm(self) -> None:
        """Let the batch start (idempotent)."""
        if not self.held:
            return
        self.held = False
        for listener in self._listeners:
            listener()
        if self._on_confirm is not None:
            self._on_confirm()

    def check(self) -> None:
        """Raise :class:`ConfirmationRequired` while held (a wait would otherwise never end)."""
        if self.held:
            raise ConfirmationRequired(
                f"this batch is {self.text}, above {CONFIRM_ENV}={money(self.threshold)}: "
                "click Start, call .confirm(), or pass confirm=True"
            )


class CostGate(w.HBox):
    """An ipywidget view of a :class:`CostHold`: the estimate line and a Start button."""

    def __init__(
        self,
        calls: Iterable[tuple[str, Mapping[str, Any]]],
        *,
        client: Any = None,
        confirmed: bool = False,
        on_confirm: Callable[[], Any] | None = None,
    ) -> None:
        self.hold = CostHold(calls, client=client, confirmed=confirmed, on_confirm=on_confirm)
        self.hold.on_change(self._redraw)
        self.label = w.HTML(self._label())
        self.label.add_class("fw-cost-total")
        self.start_button = w.Button(
            description=self.hold.start_label,
            button_style="warning",
            icon="play",
            tooltip=f"Above {CONFIRM_ENV}={money(self.hold.threshold)}: confirm to start",
        )
        self.start_button.add_class("fw-cost-confirm")
        self.start_button.on_click(lambda _b: self.confirm())
        self.start_button.layout.display = None if self.hold.held else "none"
        super().__init__([self.label, self.start_button])
        self.add_class("fw-cost-gate")

    threshold = property(lambda self: self.hold.threshold)
    total = property(lambda self: self.hold.total)
    unknown = property(lambda self: self.hold.unknown)
    text = property(lambda self: self.hold.text)
    held = property(lambda self: self.hold.held)

    def _label(self) -> str:
        hold = f" · {self.hold.hold_text}" if self.hold.held else ""
        return f'<span class="fw-note-text">{esc(self.hold.text)}{esc(hold)}</span>'

    def _redraw(self) -> None:
        self.start_button.layout.display = None if self.hold.held else "none"
        self.label.value = self._label()

    def confirm(self) -> None:
        """Let the batch start (idempotent)."""
        self.hold.confirm()

    def check(self) -> None:
        self.hold.check()
