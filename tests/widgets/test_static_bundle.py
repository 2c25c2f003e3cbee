"""falwidgets._static.bundle: the one reader of the built front ends."""

from __future__ import annotations

import pytest

from falwidgets import _static


def test_bundle_reads_the_built_form_module_and_css() -> None:
    js = _static.bundle("form")
    assert "export" in js and "render" in js
    css = _static.bundle("form", "css")
    for var in ("--fw-bg", "--fw-fg", "--fw-accent", "--fw-error-bg", "--fw-radius", "--fw-mono"):
        assert var in css


def test_bundle_rejects_names_that_could_escape_the_static_dir() -> None:
    for bad in ("../x", "Form", "", "a/b", 3):
        with pytest.raises(ValueError, match="lower-case identifier"):
            _static.bundle(bad)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="'js' or 'css'"):
        _static.bundle("form", "html")  # type: ignore[arg-type]


def test_a_missing_module_names_the_build_command(tmp_path, monkeypatch) -> None:
    monkeypatch.setattr(_static, "STATIC", tmp_path)
    _static.bundle.cache_clear()
    try:
        with pytest.raises(RuntimeError, match="npm run build"):
            _static.bundle("nothing_here")
        assert _static.bundle("nothing_here", "css") == ""
    finally:
        _static.bundle.cache_clear()
