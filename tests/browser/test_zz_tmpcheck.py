import pytest
pytestmark = pytest.mark.browser
def test_fails(run_notebook):
    page = run_notebook(["1+1"], "tmpcheck")
    assert False
def test_nb_error(lab):
    from browser_harness import NotebookError
    with pytest.raises(NotebookError, match="ZeroDivisionError"):
        lab.run_notebook(["1/0", "2"], "tmperr")
