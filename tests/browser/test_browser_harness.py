"""The harness itself: a failing cell is reported with its error, not as a vague timeout."""

from __future__ import annotations

import pytest
from browser_harness import Lab, NotebookError

pytestmark = pytest.mark.browser


def test_cell_error_is_raised_with_its_traceback_summary(lab: Lab) -> None:
    cells = ["x = 1", "raise ValueError('bad <input>')", "y = 2"]
    with pytest.raises(NotebookError, match=r"cell 1: ValueError: bad <input>"):
        lab.run_notebook(cells, "harness_error")
    # allow_errors hands the page back for tests that expect a failure
    page = lab.run_notebook(cells, "harness_error", allow_errors=True)
    try:
        assert page.locator(".jp-OutputArea-output").filter(has_text="ValueError").count() >= 1
        assert lab.execute(page, "print(x)").strip() == "1"
    finally:
        lab.close(page, "harness_error")
    # the failed run closed its own tab
    assert not [p for p in lab.context.pages if "harness_error" in p.url]
