"""Where falwidgets keeps state on disk: the journal, the schema cache, server data.

``FALWIDGETS_HOME`` overrides the platform's user data dir so tests, CI and workshops can
isolate it.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs


def home() -> Path:
    """The data directory (created on first use)."""
    override = os.environ.get("FALWIDGETS_HOME")
    path = Path(override) if override else Path(platformdirs.user_data_dir("falwidgets", False))
    path.mkdir(parents=True, exist_ok=True)
    return path


def cache_dir() -> Path:
    """Cache for downloaded schemas; under the home when ``FALWIDGETS_HOME`` is set."""
    override = os.environ.get("FALWIDGETS_HOME")
    path = (
        Path(override) / "cache"
        if override
        else Path(platformdirs.user_cache_dir("falwidgets", False))
    )
    path.mkdir(parents=True, exist_ok=True)
    return path
