"""Fixtures shared by every test package: the local server, the schema corpus, an isolated home."""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("FALWIDGETS_SHARED", ROOT.parent / "shared"))
CORPUS = SHARED / "fal-schemas" / "endpoints"
SEEDS = SHARED / "fal-schemas" / "seeds"
ARTIFACTS = ROOT / "tests" / "artifacts"

_CREDENTIAL_VARS = ("FAL_KEY", "FAL_KEY_ID", "FAL_KEY_SECRET")


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Browser tests run last: Playwright's sync API leaves an event loop on the main thread,
    after which ``asyncio.run()`` in ordinary tests would fail."""
    items.sort(
        key=lambda item: (
            item.get_closest_marker("browser") is not None
            or "browser_context" in getattr(item, "fixturenames", ())
        )
    )


@pytest.fixture(autouse=True)
def _isolated_env(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> Path:
    """No real credentials and a private FALWIDGETS_HOME (journal, caches) for every test."""
    home = tmp_path_factory.mktemp("home")
    monkeypatch.setenv("FALWIDGETS_HOME", str(home))
    for var in _CREDENTIAL_VARS:
        monkeypatch.delenv(var, raising=False)
    return home


@pytest.fixture(scope="session")
def local_server() -> Iterator[object]:
    """One fal-compatible server for the whole run (fast demo jobs: ``speed`` scales step time)."""
    from falwidgets.server import serve

    with serve(port=0, workers=4, speed=0.1) as server:
        yield server


@pytest.fixture(scope="session")
def corpus_dir() -> Path:
    if not CORPUS.is_dir():
        pytest.fail(f"the schema corpus is missing: {CORPUS} (set FALWIDGETS_SHARED)")
    return CORPUS


@pytest.fixture(scope="session")
def seeds_dir() -> Path:
    return SEEDS


@pytest.fixture(scope="session")
def artifacts_dir() -> Path:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    return ARTIFACTS


@pytest.fixture(scope="session")
def js_modules() -> Path:
    """js/node_modules (three, esbuild, gltf-validator, @fal-ai/client), installed from the lockfile
    when missing.

    Node is a requirement of the test suite (.ci/run installs it), so its absence fails loudly.
    """
    modules = ROOT / "js" / "node_modules"
    if not all((modules / name).is_dir() for name in ("gltf-validator", "@fal-ai/client")):
        npm = shutil.which("npm")
        if npm is None:
            pytest.fail("npm is missing: install nodejs and npm (apt-get install nodejs npm)")
        subprocess.run(
            [npm, "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=ROOT / "js",
            check=True,
            timeout=300,
        )
    return modules
