"""binder/ installs everything the notebooks import, on a pinned Python (parsing only)."""

from __future__ import annotations

import ast
import importlib.metadata as md
import re
import sys
from pathlib import Path

import nbformat
from packaging.requirements import Requirement
from packaging.specifiers import SpecifierSet

ROOT = Path(__file__).resolve().parents[2]
BINDER = ROOT / "binder"


def _name(requirement: str) -> str:
    return re.sub(r"[-_.]+", "-", Requirement(requirement).name).lower()


def binder_installs() -> set[str]:
    """Distributions requirements.txt names, plus falwidgets and its dependencies when postBuild
    installs the checkout."""
    names = {
        _name(line)
        for raw in (BINDER / "requirements.txt").read_text().splitlines()
        if (line := raw.split("#", 1)[0].strip())
    }
    post = (BINDER / "postBuild").read_text()
    if re.search(r"pip install\b[^\n]*\s(-e\s+)?\.(\s|$)", post):
        # the checkout's own metadata (installed editable here): name and runtime dependencies
        names.add("falwidgets")
        names |= {_name(dep) for dep in md.requires("falwidgets") or () if "extra ==" not in dep}
    return names


def notebook_imports() -> set[str]:
    """Top-level modules imported by any code cell of the shipped notebooks."""
    found: set[str] = set()
    for path in sorted((ROOT / "notebooks").glob("*.ipynb")):
        for cell in nbformat.read(path, as_version=4).cells:
            if cell.cell_type != "code":
                continue
            for node in ast.walk(ast.parse(cell.source)):
                if isinstance(node, ast.Import):
                    found |= {alias.name.split(".")[0] for alias in node.names}
                elif isinstance(node, ast.ImportFrom) and node.module and not node.level:
                    found.add(node.module.split(".")[0])
    return found


def test_binder_installs_what_the_notebooks_import() -> None:
    installs = binder_installs()
    assert "falwidgets" in installs and "jupyterlab" in installs, installs
    owners = md.packages_distributions()
    imports = notebook_imports()
    assert {"falwidgets", "pydantic", "PIL"} <= imports  # the parser sees real imports
    missing = []
    for module in sorted(imports - set(sys.stdlib_module_names)):
        dists = {re.sub(r"[-_.]+", "-", d).lower() for d in owners.get(module, [module])}
        if not dists & installs:
            missing.append(f"{module} (from {sorted(dists)})")
    assert not missing, f"binder/ does not install: {missing}"


def test_binder_pins_a_supported_python_and_a_launch_link() -> None:
    runtime = (BINDER / "runtime.txt").read_text().strip()
    match = re.fullmatch(r"python-(3\.\d+)", runtime)
    assert match, f"binder/runtime.txt should read like python-3.11, not {runtime!r}"
    requires = md.metadata("falwidgets")["Requires-Python"]
    assert f"{match.group(1)}.0" in SpecifierSet(requires)
    readme = (BINDER / "README.md").read_text()
    link = "https://mybinder.org/v2/gh/<your-fork>/falwidgets/HEAD?urlpath=lab/tree/notebooks/"
    assert link + "01-quickstart.ipynb" in readme
    assert (ROOT / "notebooks" / "01-quickstart.ipynb").is_file()
    post = BINDER / "postBuild"
    assert post.stat().st_mode & 0o111, "postBuild must be executable"
