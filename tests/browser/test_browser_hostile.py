"""In a real JupyterLab in Chromium, hostile server output shows as text and nothing executes."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

pytestmark = [pytest.mark.browser, pytest.mark.slow]

HERE = Path(__file__).resolve().parents[1] / "reliability"  # hostile_endpoint.py lives there

CELLS = [
    f"""import sys
sys.path.insert(0, {str(HERE)!r})
import falwidgets
from hostile_endpoint import ENDPOINT, register
register()
server = falwidgets.serve(port=0, speed=0.1)
client = falwidgets.AsyncClient(base_url=server.url)""",
    """ui = falwidgets.app(ENDPOINT, client=client)
await ui.arun({"mode": "output"})
ui""",
    """bad = falwidgets.app(ENDPOINT, client=client)
bad.submit({"mode": "fail"})
await bad.wait_async()
bad""",
    """field = falwidgets.app(ENDPOINT, client=client)
field.submit({"mode": "field"})
await field.wait_async()
field""",
    "falwidgets.preview(ui.last.output)",
    "assert bad.last.state == field.last.state == 'failed', (bad.last, field.last)",
]

FIND_DANGER_JS = """
() => {
  const bad = [];
  for (const el of document.querySelectorAll('.jp-OutputArea *')) {
    const tag = el.tagName.toLowerCase();
    if (['script', 'iframe', 'object', 'embed'].includes(tag)) bad.push('<' + tag + '>');
    for (const attr of el.attributes) {
      const v = attr.value.replace(/\\s+/g, '').toLowerCase();
      if (attr.name.startsWith('on')) bad.push(tag + ' ' + attr.name);
      const scheme = v.startsWith('javascript:') || v.startsWith('data:text/html');
      if (['src', 'href', 'poster', 'srcdoc'].includes(attr.name)
          && (scheme || attr.name === 'srcdoc'))
        bad.push(tag + ' ' + attr.name + '=' + attr.value.slice(0, 60));
    }
  }
  return bad;
}
"""


def test_hostile_output_executes_nothing_in_the_browser(run_notebook: Any, lab: Any) -> None:
    page = run_notebook(CELLS, "hostile-output")
    page.wait_for_selector(".fw-app", timeout=60_000)
    page.wait_for_function("() => document.querySelectorAll('.fw-app').length >= 3", timeout=60_000)
    page.wait_for_timeout(1500)  # let images fail to load and any handler fire
    text = page.inner_text(".jp-Notebook")
    assert "window.__pwned" in text, "the hostile text is shown to the user, as text"
    assert page.evaluate("() => window.__pwned === undefined"), page.evaluate(
        "() => window.__pwned"
    )
    assert page.evaluate(FIND_DANGER_JS) == []
    assert lab.errors_of(page) == []
