"""The package's shape: public names resolve, layers import only downwards, import stays cheap."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import pytest

import falwidgets

SRC = Path(falwidgets.__file__).parent

# layer -> layers it may import (besides itself and top-level helpers such as _home)
ALLOWED: dict[str, set[str]] = {
    "schema": set(),
    "client": set(),
    "server": {"schema"},
    "widgets": {"schema", "client"},
    "previews": {"schema"},
    "runner": {"schema", "client", "server", "widgets", "previews"},
    "proxy": {"client"},
}


def _imports(path: Path) -> set[str]:
    """Top-level falwidgets sub-packages a module imports (including lazy, in-function imports)."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), str(path))):
        names: list[str] = []
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names = [node.module]
        for name in names:
            parts = name.split(".")
            if parts[0] == "falwidgets" and len(parts) > 1:
                found.add(parts[1])
    return found


@pytest.mark.parametrize("layer", sorted(ALLOWED))
def test_layers_import_only_downwards(layer: str) -> None:
    package = SRC / layer
    if not package.is_dir():
        pytest.fail(f"layer package {layer}/ is missing")
    wrong = {}
    for module in package.rglob("*.py"):
        if module.name == "_cli.py":  # command-line glue may start the local server
            continue
        bad = {dep for dep in _imports(module) if dep in ALLOWED and dep != layer} - ALLOWED[layer]
        if bad:
            wrong[str(module.relative_to(SRC))] = sorted(bad)
    assert not wrong, f"{layer} imports layers above or beside it: {wrong}"


def test_every_public_name_resolves() -> None:
    for name in falwidgets.__all__:
        assert getattr(falwidgets, name) is not None, name


def test_exported_functions_stay_functions_after_importing_every_layer() -> None:
    """No public name is a function or a module depending on import order."""
    code = (
        "import falwidgets, inspect;"
        "before = {n: inspect.isfunction(getattr(falwidgets, n)) for n in ('app', 'preview')};"
        "import falwidgets.runner, falwidgets.previews;"
        "after = {n: inspect.isfunction(getattr(falwidgets, n)) for n in ('app', 'preview')};"
        "print(before == after == {'app': True, 'preview': True})"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "True", out.stdout + out.stderr


def test_all_is_sorted_and_matches_exports() -> None:
    assert falwidgets.__all__ == sorted(falwidgets.__all__)
    assert set(falwidgets.__all__) == {*falwidgets._EXPORTS, "__version__"}


def test_import_is_cheap() -> None:
    """`import falwidgets` and the client must not pull in widgets, the server or codecs."""
    code = (
        "import sys, falwidgets, falwidgets.client;"
        "heavy = [m for m in ('ipywidgets', 'anywidget', 'starlette', 'uvicorn', 'av')"
        " if m in sys.modules];"
        "print(','.join(heavy))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "", f"import falwidgets loaded: {out.stdout.strip()}"


def test_type_checking_block_matches_exports() -> None:
    """IDEs read the ``if TYPE_CHECKING:`` imports: each public name, from its module, once."""
    tree = ast.parse((SRC / "__init__.py").read_text())
    blocks = [
        node
        for node in tree.body
        if isinstance(node, ast.If) and getattr(node.test, "id", None) == "TYPE_CHECKING"
    ]
    assert len(blocks) == 1
    imported: dict[str, str] = {}
    for node in ast.walk(blocks[0]):
        if isinstance(node, ast.ImportFrom):
            for alias in node.names:
                assert alias.asname is None, alias.asname
                assert alias.name not in imported, f"{alias.name} imported twice"
                imported[alias.name] = node.module or ""
    assert imported == falwidgets._EXPORTS


@pytest.mark.parametrize("name", ["History", "Sweep", "RetryPolicy", "MISSING"])
def test_names_users_need_are_exported(name: str) -> None:
    import falwidgets.client
    import falwidgets.runner
    import falwidgets.schema

    homes = {"History": falwidgets.runner, "Sweep": falwidgets.runner}
    homes |= {"RetryPolicy": falwidgets.client, "MISSING": falwidgets.schema}
    assert getattr(falwidgets, name) is getattr(homes[name], name)
