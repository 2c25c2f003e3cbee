"""Result -> preview: a registry of renderers walked over any output.

Media are found by shape (``{url, content_type}`` objects, ``*_url`` strings, data URIs) and shown
by URL: images as a gallery, ``<video>``/``<audio>`` players, GLB in a three.js viewer, other 3D
files as links, detections drawn over their image; ``seed``/``timings`` as chips; the rest as a
collapsible JSON view. Only http(s) and media ``data:`` URLs reach ``src``/``href``; all text is
escaped.

`describe` turns a result into JSON blocks for the anywidget front ends (``js/src/results``);
`preview` is the standalone widget drawing them. `render` (HTML) serves the old ipywidgets app
until it is replaced.
"""

from __future__ import annotations

from falwidgets.previews._builtins import CHIP_GROUPS, CHIP_KEYS
from falwidgets.previews._describe import (
    BLOCK_KINDS,
    describe,
    describe_error,
    describe_stream,
    register_block_kind,
)
from falwidgets.previews._glb import GLBViewer
from falwidgets.previews._media import EXTENSIONS, NAME_HINTS, MediaRef, as_media, find_media
from falwidgets.previews._registry import (
    Block,
    Node,
    PreviewRegistry,
    Registration,
    register_preview,
    registry,
)
from falwidgets.previews._safety import esc, safe_url
from falwidgets.previews._stream import StreamPreview
from falwidgets.previews._walk import Rendered, render
from falwidgets.previews._widget import Preview, preview

__all__ = [
    "BLOCK_KINDS",
    "CHIP_GROUPS",
    "CHIP_KEYS",
    "EXTENSIONS",
    "NAME_HINTS",
    "Block",
    "GLBViewer",
    "MediaRef",
    "Node",
    "Preview",
    "PreviewRegistry",
    "Registration",
    "Rendered",
    "StreamPreview",
    "as_media",
    "describe",
    "describe_error",
    "describe_stream",
    "esc",
    "find_media",
    "preview",
    "register_block_kind",
    "register_preview",
    "registry",
    "render",
    "safe_url",
]
