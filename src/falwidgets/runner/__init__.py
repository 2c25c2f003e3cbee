"""The runner (form + Run/Cancel + status + logs + previews), run history, sweeps and the live
panel of realtime endpoints (``live``)."""

from __future__ import annotations

from falwidgets.runner._app import App, app
from falwidgets.runner._browse import Browser, browse
from falwidgets.runner._chain import UseIn, endpoints_taking, use_in
from falwidgets.runner._compare import Compare, compare
from falwidgets.runner._costs import ConfirmationRequired, estimate_for, price_line
from falwidgets.runner._errors import register_error_title
from falwidgets.runner._history_widget import Comparison, History, history
from falwidgets.runner._live import (
    LivePanel,
    LiveSession,
    live,
    live_controls,
    realtime_capable,
)
from falwidgets.runner._sweep_widget import Sweep, sweep

__all__ = [
    "App",
    "Browser",
    "Compare",
    "Comparison",
    "ConfirmationRequired",
    "History",
    "LivePanel",
    "LiveSession",
    "Sweep",
    "UseIn",
    "app",
    "browse",
    "compare",
    "endpoints_taking",
    "estimate_for",
    "history",
    "live",
    "live_controls",
    "price_line",
    "realtime_capable",
    "register_error_title",
    "sweep",
    "use_in",
]
