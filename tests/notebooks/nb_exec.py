"""Execute a notebook with nbclient and read back its outputs and saved widget state."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
from nbclient import NotebookClient

NOTEBOOKS = Path(__file__).resolve().parents[2] / "notebooks"


class Executed:
    """An executed notebook: its text outputs, its errors and its saved widget state."""

    def __init__(self, nb: nbformat.NotebookNode) -> None:
        self.nb = nb
        self.text = "\n".join(
            out.get("text", "") if out.output_type == "stream" else str(out.get("data", ""))
            for cell in nb.cells
            for out in cell.get("outputs", [])
        )
        self.errors = [
            f"{out.ename}: {out.evalue}"
            for cell in nb.cells
            for out in cell.get("outputs", [])
            if out.output_type == "error"
        ]
        state = nb.metadata.get("widgets", {}).get("application/vnd.jupyter.widget-state+json", {})
        self.models = list(state.get("state", {}).values())
        self.state_json = json.dumps(self.models)

    def models_with_class(self, css: str) -> list[dict]:
        return [m for m in self.models if css in (m["state"].get("_dom_classes") or ())]


def execute_notebook(name: str, save_to: Path | None = None) -> Executed:
    """Run ``notebooks/<name>.ipynb`` top to bottom in a fresh kernel; raise on any cell error."""
    nb = nbformat.read(NOTEBOOKS / f"{name}.ipynb", as_version=4)
    client = NotebookClient(
        nb,
        kernel_name="python3",
        timeout=120,
        resources={"metadata": {"path": str(NOTEBOOKS)}},
        store_widget_state=True,
    )
    client.execute()
    if save_to is not None:
        nbformat.write(nb, save_to)
    return Executed(nb)
