"""Reliability fixtures: the fault campaign driver from ``bench/faults.py``."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

BENCH = Path(__file__).resolve().parents[2] / "bench"


@pytest.fixture(scope="session")
def fault_bench() -> ModuleType:
    """``bench/faults.py`` as a module (the CI campaign and the benchmark share one driver)."""
    spec = importlib.util.spec_from_file_location("falwidgets_bench_faults", BENCH / "faults.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module
