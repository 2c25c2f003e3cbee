"""Fixtures for the notebook tests."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from nb_exec import Executed, execute_notebook


@pytest.fixture()
def execute(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Callable[[str], Executed]:
    """Run a notebook with nbclient (no FAL_KEY, no internet); the executed copy goes to tmp."""
    monkeypatch.setenv("FALWIDGETS_SERVER_SPEED", "0.1")  # the kernel inherits the environment

    def run(name: str) -> Executed:
        return execute_notebook(name, tmp_path / f"{name}.ipynb")

    return run
