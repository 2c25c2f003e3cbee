"""GLBViewer: an anywidget that shows a glTF binary model with three.js, offline.

The three.js bundle (``js/src/glb_viewer/`` -> ``static/glb_viewer.js``, js/build.mjs) is sent
to the page once through a custom message instead of living in the synced ``_esm`` trait, so a
notebook with many viewers does not save 630 KB of JavaScript per viewer. The model comes from
``data`` bytes (sent as a binary buffer) or from a ``url`` the browser fetches (http(s) or ``data:``
only; cross-origin servers must send CORS headers, as fal's CDN and the local server do).
"""

from __future__ import annotations

import hashlib
import re
from functools import cache
from typing import Any

import anywidget
import traitlets

from falwidgets._static import STATIC, bundle

_BUNDLE = STATIC / "glb_viewer.js"
_GLB_MAGIC = b"glTF"
_DATA_URI = re.compile(
    r"^data:(model/gltf-binary|model/gltf\+json|application/octet-stream|application/json)?"
    r"(;[^,]*)?,",
    re.IGNORECASE,
)
MIN_HEIGHT, MAX_HEIGHT = 50, 4000


@cache
def _bundle() -> bytes:
    """The viewer's JavaScript, read once per kernel."""
    try:
        return _BUNDLE.read_bytes()
    except FileNotFoundError:  # pragma: no cover - a broken install
        raise RuntimeError(
            f"the GLB viewer bundle is missing ({_BUNDLE}); run `npm run build` in js/"
        ) from None


@cache
def _bundle_hash() -> str:
    return hashlib.sha256(_bundle()).hexdigest()[:16]


def check_url(url: str) -> str:
    """Return ``url`` if the viewer may load it (empty, http(s) or a model ``data:`` URI)."""
    if not isinstance(url, str):
        raise TypeError(f"GLBViewer url must be a str, not {type(url).__name__}")
    lowered = url.strip().lower()
    if not url or lowered.startswith(("http://", "https://")):
        return url
    if lowered.startswith("data:"):
        if _DATA_URI.match(url):
            return url
        raise ValueError(
            "GLBViewer url: a data: URI must have type model/gltf-binary, model/gltf+json or "
            f"application/octet-stream, got {url[:40]!r}"
        )
    raise ValueError(f"GLBViewer url must be http(s):// or data:, got {url[:80]!r}")


def check_data(data: bytes) -> bytes:
    """Return ``data`` if it looks like a GLB (or glTF JSON) file, so bad bytes fail at the call."""
    if isinstance(data, (bytearray, memoryview)):
        data = bytes(data)
    if not isinstance(data, bytes):
        raise TypeError(f"GLBViewer data must be bytes, not {type(data).__name__}")
    if data and not (data[:4] == _GLB_MAGIC or data.lstrip()[:1] == b"{"):
        raise ValueError(
            f"GLBViewer data is not a GLB file (it starts with {data[:4]!r}, not {_GLB_MAGIC!r})"
        )
    return data


class GLBViewer(anywidget.AnyWidget):
    """Interactive 3D view of a GLB: orbit controls, auto-framing, lighting.

    ``status`` is written by the browser: ``loading``, ``loaded:N meshes``, ``empty``,
    ``error:…`` or ``no-webgl:…``; the same text is on the root element's ``data-status``.
    """

    _esm = bundle("glb_loader")
    url = traitlets.Unicode("").tag(sync=True)
    glb = traitlets.Bytes(b"").tag(sync=True)
    height = traitlets.Int(360).tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)
    _bundle_hash = traitlets.Unicode("").tag(sync=True)

    def __init__(self, url: str = "", *, data: bytes = b"", height: int = 360, **kwargs: Any):
        # validate here too so a bad argument raises ValueError/TypeError at the call
        url, data = check_url(url), check_data(data)
        from falwidgets.previews._widget import shared_layout

        kwargs.setdefault("layout", shared_layout())  # one Layout model for all our widgets
        super().__init__(url=url, glb=data, height=height, _bundle_hash=_bundle_hash(), **kwargs)
        self.add_class("fw-glb-widget")
        self.on_msg(self._on_custom_msg)

    @traitlets.validate("url")
    def _valid_url(self, proposal: dict[str, Any]) -> str:
        try:
            return check_url(proposal["value"])
        except (TypeError, ValueError) as err:
            raise traitlets.TraitError(str(err)) from None

    @traitlets.validate("glb")
    def _valid_glb(self, proposal: dict[str, Any]) -> bytes:
        try:
            return check_data(proposal["value"])
        except (TypeError, ValueError) as err:
            raise traitlets.TraitError(str(err)) from None

    @traitlets.validate("height")
    def _valid_height(self, proposal: dict[str, Any]) -> int:
        height = proposal["value"]
        if not MIN_HEIGHT <= height <= MAX_HEIGHT:
            raise traitlets.TraitError(
                f"GLBViewer height must be between {MIN_HEIGHT} and {MAX_HEIGHT} px, got {height}"
            )
        return height

    @property
    def data(self) -> bytes:
        """The GLB bytes shown (empty when the model comes from ``url``)."""
        return self.glb

    @data.setter
    def data(self, value: bytes) -> None:
        self.glb = value

    def _on_custom_msg(self, _widget: object, content: object, _buffers: list[bytes]) -> None:
        """Send the three.js bundle to the page that asked for it (once per page)."""
        if isinstance(content, dict) and content.get("type") == "fw-glb-bundle?":
            self.send({"type": "fw-glb-bundle"}, buffers=[_bundle()])

    def __repr__(self) -> str:
        source = f"{len(self.glb)} bytes" if self.glb else (self.url[:60] or "empty")
        return f"GLBViewer({source}, status={self.status!r})"
