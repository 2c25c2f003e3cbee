"""Result -> preview: a registry of renderers walked over any output.

Media are found by shape (``{url, content_type}`` objects, ``*_url`` strings, data URIs) and shown
by URL: images as a gallery, ``<video>``/``<audio>`` players, GLB in a three.js viewer, other 3D
files as links, detections drawn over their image; ``seed``/``timings`` as chips; the rest as a
collapsible JSON view. Only http(s) and media ``data:`` URLs reach ``src``/``href``; all text is
escaped.
"""

from __future__ import annotations

import sys
import types
from typing import Any

from falwidgets.preview._builtins import CHIP_GROUPS, CHIP_KEYS
from falwidgets.preview._media import EXTENSIONS, NAME_HINTS, MediaRef, as_media
from falwidgets.preview._preview import preview
from falwidgets.preview._registry import (
    Block,
    Node,
    PreviewRegistry,
    Registration,
    register_preview,
    registry,
)
from falwidgets.preview._safety import esc, safe_url
from falwidgets.preview._stream import StreamPreview
from falwidgets.preview._walk import Rendered, render

__all__ = [
    "CHIP_GROUPS",
    "CHIP_KEYS",
    "EXTENSIONS",
    "NAME_HINTS",
    "Block",
    "MediaRef",
    "Node",
    "PreviewRegistry",
    "Registration",
    "Rendered",
    "StreamPreview",
    "as_media",
    "esc",
    "preview",
    "register_preview",
    "registry",
    "render",
    "safe_url",
]


class _CallableModule(types.ModuleType):
    """``falwidgets.preview(output)`` works even once this subpackage shadows the function.

    Importing ``falwidgets.preview`` sets the package attribute ``falwidgets.preview`` to this
    module, hiding the lazily exported function of the same name; calling the module forwards.
    """

    def __call__(self, output: Any, *, spec: Any = None) -> Any:
        return preview(output, spec=spec)


sys.modules[__name__].__class__ = _CallableModule
