"""Reliability fixtures: the fault campaign driver from ``bench/faults.py``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"
BROWSER = Path(__file__).resolve().parents[1] / "browser"


def _browser_fixtures() -> ModuleType:
    """The shared browser fixtures (tests/browser/conftest.py) for the hostile-output test."""
    sys.path.insert(0, str(BROWSER))
    spec = importlib.util.spec_from_file_location(
        "falwidgets_browser_fixtures", BROWSER / "conftest.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


_browser = _browser_fixtures()
chromium = _browser.chromium
lab_server = _browser.lab_server
browser_context = _browser.browser_context
lab = _browser.lab
run_notebook = _browser.run_notebook
pytest_runtest_makereport = _browser.pytest_runtest_makereport


@pytest.fixture(scope="session")
def fault_bench() -> ModuleType:
    """``bench/faults.py`` as a module (the CI campaign and the benchmark share one driver)."""
    spec = importlib.util.spec_from_file_location("falwidgets_bench_faults", BENCH / "faults.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
