"""Fixtures shared by every test package: the local server, the schema corpus, an isolated home.

The schema corpus comes from the catalog bundled in the package (``catalog.json.xz``), written out
once per session as the same ``endpoints/`` and ``seeds/`` files the shared corpus has, so a plain
clone runs every corpus test. With ``FALWIDGETS_SHARED=/path/to/shared`` (``.ci/run`` sets it) the
tests read ``<shared>/fal-schemas`` instead, and the tests marked ``shared_corpus`` (which check the
bundled catalog against that corpus, or need all of it) are collected too; without it they are
deselected, never skipped.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from hypothesis import HealthCheck, settings

# Hypothesis's per-example deadline and its "too slow" health check time the machine, not the
# code: on a loaded 2-core box they fail at random. Timings belong in bench/.
settings.register_profile("falwidgets", deadline=None, suppress_health_check=[HealthCheck.too_slow])
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "falwidgets"))

ROOT = Path(__file__).resolve().parents[1]
SHARED_ENV = "FALWIDGETS_SHARED"
SHARED: Path | None = Path(os.environ[SHARED_ENV]).resolve() if os.environ.get(SHARED_ENV) else None
SEED_IDS = ("anthonywu/gamecraft", "fal-ai/flux-realism", "fal-ai/toon-crafter")
"""The hand-checked documents kept in ``fal-schemas/seeds`` (the rest are ``endpoints``)."""
ARTIFACTS = ROOT / "tests" / "artifacts"

_CREDENTIAL_VARS = ("FAL_KEY", "FAL_KEY_ID", "FAL_KEY_SECRET")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Deselect ``shared_corpus`` tests when no shared corpus is configured, and run browser tests
    last: Playwright's sync API leaves an event loop on the main thread, after which
    ``asyncio.run()`` in ordinary tests would fail."""
    if SHARED is None:
        dropped = [item for item in items if item.get_closest_marker("shared_corpus")]
        if dropped:
            config.hook.pytest_deselected(items=dropped)
            items[:] = [item for item in items if not item.get_closest_marker("shared_corpus")]
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
def schemas_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A ``fal-schemas`` folder: the shared one when configured, else the bundled catalog's."""
    if SHARED is not None:
        folder = SHARED / "fal-schemas"
        if not (folder / "endpoints").is_dir():
            pytest.fail(f"{SHARED_ENV}={SHARED} has no fal-schemas/endpoints folder")
        return folder
    from falwidgets.schema import catalog
    from falwidgets.schema._catalog import catalog_document

    folder = tmp_path_factory.mktemp("fal-schemas")
    for name in ("endpoints", "seeds"):
        (folder / name).mkdir()
    for endpoint_id in catalog():
        sub = "seeds" if endpoint_id in SEED_IDS else "endpoints"
        path = folder / sub / (endpoint_id.replace("/", "__") + ".json")
        path.write_text(json.dumps(catalog_document(endpoint_id)), encoding="utf-8")
    return folder


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    """The shared folder (only for tests marked ``shared_corpus``, deselected without it)."""
    assert SHARED is not None, f"a shared_corpus test ran without {SHARED_ENV}"
    return SHARED


@pytest.fixture(scope="session")
def corpus_dir(schemas_dir: Path) -> Path:
    """The 1,337 endpoint documents, one ``owner__app__path.json`` file each."""
    return schemas_dir / "endpoints"


@pytest.fixture(scope="session")
def corpus_stride() -> int:
    """Corpus loops that are slow per document (building widgets) test every Nth document by
    default, about 170 of 1,337, and all of them with the shared corpus (``.ci/run``)."""
    return 1 if SHARED is not None else 8


@pytest.fixture(scope="session")
def seeds_dir(schemas_dir: Path) -> Path:
    """The hand-checked seed documents (same file naming)."""
    return schemas_dir / "seeds"


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
