"""What the wheel promises: typed (py.typed), MIT-licensed, one version number."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

import falwidgets

ROOT = Path(__file__).resolve().parents[1]


def test_the_package_is_marked_typed() -> None:
    assert (Path(falwidgets.__file__).parent / "py.typed").is_file()


def test_the_license_file_is_the_declared_mit_license() -> None:
    assert (ROOT / "LICENSE").read_text(encoding="utf-8").startswith("MIT License\n")
    assert importlib.metadata.metadata("falwidgets")["License-Expression"] == "MIT"


def test_the_version_has_one_source() -> None:
    """pyproject.toml takes the version from ``__version__`` (hatch dynamic version)."""
    assert importlib.metadata.version("falwidgets") == falwidgets.__version__
    pyproject = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    assert 'dynamic = ["version"]' in pyproject
    assert "\nversion =" not in pyproject.split("[tool.")[0]
