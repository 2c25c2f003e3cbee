"""The runner (form + Run/Cancel + status + logs + previews), run history and sweeps."""

from __future__ import annotations

from falwidgets.runner._app import App, app
from falwidgets.runner._errors import register_error_title
from falwidgets.runner._history_widget import Comparison, History, history
from falwidgets.runner._sweep_widget import Sweep, sweep

__all__ = [
    "App",
    "Comparison",
    "History",
    "Sweep",
    "app",
    "history",
    "register_error_title",
    "sweep",
]
