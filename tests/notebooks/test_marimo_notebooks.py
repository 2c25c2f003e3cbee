"""The marimo versions of the notebooks (notebooks/marimo/*.py) run top to bottom with no key.

`marimo export html` executes every cell and exits 1 when one raised (shared/marimo-anywidget.md
§7); it runs on a copy in tmp (marimo writes `__marimo__/` beside the notebook) with isolated
HOME/XDG dirs and the fast demo server.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).parents[2] / "notebooks" / "marimo").glob("*.py"))

pytestmark = pytest.mark.slow


@pytest.mark.parametrize("notebook", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_marimo_notebook_runs_with_no_key(notebook: Path, tmp_path: Path) -> None:
    pytest.importorskip("marimo")
    copy = tmp_path / notebook.name
    shutil.copy(notebook, copy)
    home = tmp_path / "home"
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAL_KEY")}
    env.update(
        HOME=str(home),
        XDG_CONFIG_HOME=str(home / ".config"),
        XDG_CACHE_HOME=str(home / ".cache"),
        XDG_STATE_HOME=str(home / ".state"),
        MARIMO_SKIP_UPDATE_CHECK="1",
        FALWIDGETS_HOME=str(tmp_path / "falwidgets-home"),
        FALWIDGETS_SERVER_SPEED="0.1",
    )
    out = tmp_path / "out.html"
    done = subprocess.run(
        [sys.executable, "-m", "marimo", "export", "html", copy.name, "-o", str(out)],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
    html = out.read_text()
    assert "marimo-anywidget" in html or "anywidget" in html
