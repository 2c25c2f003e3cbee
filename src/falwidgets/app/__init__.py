"""The runner (form + Run/Cancel + status + logs + previews), run history and sweeps."""

from __future__ import annotations

import sys
import types
from typing import Any

from falwidgets.app._app import App, app
from falwidgets.app._errors import register_error_title
from falwidgets.app._history import History, history
from falwidgets.app._sweep import Sweep, sweep

__all__ = ["App", "History", "Sweep", "app", "history", "register_error_title", "sweep"]


class _CallableModule(types.ModuleType):
    """``falwidgets.app(...)`` keeps working once this subpackage is imported.

    Importing ``falwidgets.app`` sets the package attribute ``falwidgets.app`` to this module,
    hiding the lazily exported function of the same name; calling the module forwards to it.
    """

    def __call__(self, endpoint_or_model: Any, **kwargs: Any) -> App:
        return app(endpoint_or_model, **kwargs)


sys.modules[__name__].__class__ = _CallableModule
