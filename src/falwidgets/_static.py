"""The bundled front ends (``js/build.mjs`` -> ``static/<name>.js`` and ``.css``), read once.

One helper for every anywidget in the package so the bundle location, the "run npm run build" hint
and the cache live in one place. Stdlib only: ``import falwidgets`` stays cheap.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Literal

STATIC = Path(__file__).with_name("static")
_NAME = re.compile(r"^[a-z][a-z0-9_]*$")


@cache
def bundle(name: str, kind: Literal["js", "css"] = "js") -> str:
    """The text of bundle ``name`` (``"form"``, ``"app"``, ...): its ES module, or its CSS.

    A missing ES module is a broken install or a missing build: ``RuntimeError`` names the fix;
    a missing CSS file means the entry imports no CSS and gives ``""``.
    """
    if not isinstance(name, str) or not _NAME.match(name):
        raise ValueError(f"bundle name must be a lower-case identifier like 'form', got {name!r}")
    if kind not in ("js", "css"):
        raise ValueError(f"bundle kind must be 'js' or 'css', got {kind!r}")
    path = STATIC / f"{name}.{kind}"
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        if kind == "css":
            return ""
        raise RuntimeError(
            f"the front-end bundle {path.name!r} is missing ({path}); "
            "run `npm ci && npm run build` in js/"
        ) from None
