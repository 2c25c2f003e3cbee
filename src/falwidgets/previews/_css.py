"""The preview stylesheet: minified, inlined once per preview (there is no global stylesheet).

Kept near 1 KB because every saved preview carries it. Class names are the stable hooks browser
tests use: fw-preview, fw-gallery, fw-image, fw-video, fw-audio, fw-glb, fw-boxes, fw-box,
fw-json, fw-chip, fw-download. Click-to-enlarge is pure CSS (``:focus`` on a ``tabindex`` image),
because an HTML widget runs no scripts.
"""

from __future__ import annotations

__all__ = ["CSS"]

_C = "#e0218a"  # overlay colour: visible on photos, unlike pure red or white

CSS = (
    ".fw-label{font-weight:600;margin:6px 0 2px}"
    ".fw-gallery,.fw-files,.fw-chips{display:flex;flex-wrap:wrap;gap:4px 8px}"
    ".fw-item{display:flex;flex-direction:column;max-width:100%}"
    ".fw-item:focus-within{flex-basis:100%}"
    ".fw-image{max-height:256px;max-width:100%;cursor:zoom-in}"
    ".fw-video{max-width:100%;max-height:420px}"
    ".fw-download,.fw-note{font-size:11px}"
    ".fw-chips{margin:6px 0}"
    ".fw-chip{background:var(--jp-layout-color2,#eee);border-radius:9px;padding:0 8px}"
    ".fw-stage{position:relative;display:inline-block;line-height:0}"
    ".fw-stage .fw-image{max-height:512px}"
    # after, and as specific as, every max-height rule above: a focused image always enlarges
    ".fw-image:focus,.fw-stage .fw-image:focus{max-height:none;outline:0;cursor:zoom-out}"
    f".fw-box{{position:absolute;border:2px solid {_C};box-sizing:border-box}}"
    f".fw-box span{{position:absolute;bottom:100%;background:{_C};color:#fff;font-size:11px;"
    "line-height:1.4;padding:0 3px;white-space:nowrap}"
    ".fw-point{width:10px;height:10px;margin:-5px;border-radius:50%;border-color:#fff;"
    f"background:{_C}}}"
    ".fw-json pre{max-height:320px;overflow:auto;white-space:pre-wrap}"
    ".fw-blocked,.fw-error{color:#c00;font-family:monospace}"
)
