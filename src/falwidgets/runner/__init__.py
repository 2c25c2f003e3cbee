"""The runner (form + Run/Cancel + status + logs + previews), run history, sweeps and the live
panel of realtime endpoints (``live``)."""

from __future__ import annotations

from falwidgets.runner._app import App, app
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
    "Comparison",
    "History",
    "LivePanel",
    "LiveSession",
    "Sweep",
    "app",
    "history",
    "live",
    "live_controls",
    "realtime_capable",
    "register_error_title",
    "sweep",
]
