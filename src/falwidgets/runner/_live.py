"""The live panel: `falwidgets.live(endpoint)` streams frames from a realtime endpoint as you edit.

Three parts, so the app's future "Live" switch can reuse the first two without this widget:

- :func:`realtime_capable` says whether an endpoint should get a Live switch at all.
- :func:`live_controls` picks the knobs of a realtime endpoint from its schema (the prompt, the
  seed, one strength-like slider), with their bounds and defaults.
- :class:`LiveSession` owns one realtime connection on the runner's background loop (see
  ``_loop``): ``send(values)`` returns at once, latest input wins (``client.realtime``), and each
  frame reaches ``on_frame`` with the frames-per-second and latency measured here.
- :class:`LivePanel`, a small anywidget (``js/src/live/index.js``, shipped as
  ``static/live.js``): prompt/seed/strength controls, the image, fps and latency. Edits in
  the browser update ``value``; each change is sent; each frame's JPEG bytes go back in ``frame``.

Frame images come out of results through a small registry (:func:`register_frame_reader`): raw
bytes in ``images[].content`` (klein realtime), data URIs or URLs in ``images[].url`` (fast-lcm).
"""

from __future__ import annotations

import base64
import binascii
import collections
import concurrent.futures
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import anywidget
import traitlets

from falwidgets._static import STATIC
from falwidgets.runner._loop import spawn

_STATIC = STATIC  # bundles built by js/build.mjs
STRENGTH_NAMES = ("strength", "guidance_scale", "guidance")  # searched in this order
FPS_WINDOW = 2.0  # seconds of frame arrivals the fps figure averages over


# -- frame images ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class FrameImage:
    """The picture of one frame: inline bytes, or a URL the browser loads itself."""

    data: bytes = b""
    url: str = ""
    mime: str = "image/jpeg"


FrameReader = Callable[[dict[str, Any]], "FrameImage | None"]
_READERS: list[FrameReader] = []


def register_frame_reader(reader: FrameReader) -> FrameReader:
    """Teach the panel a new result shape; newest readers are asked first."""
    _READERS.insert(0, reader)
    return reader


def _first_image(result: dict[str, Any]) -> dict[str, Any] | None:
    images = result.get("images")
    if isinstance(images, list) and images and isinstance(images[0], dict):
        return images[0]
    image = result.get("image")
    return image if isinstance(image, dict) else None


@register_frame_reader
def _url_image(result: dict[str, Any]) -> FrameImage | None:
    image = _first_image(result)
    url = image.get("url") if image else None
    if not isinstance(url, str):
        return None
    if url.startswith("data:"):
        header, _, payload = url.partition(",")
        mime = header[5:].split(";", 1)[0] or "image/jpeg"
        try:
            return FrameImage(base64.b64decode(payload, validate=False), mime=mime)
        except (binascii.Error, ValueError):
            return None
    if url.startswith(("http://", "https://")):
        return FrameImage(url=url, mime=str((image or {}).get("content_type") or "image/jpeg"))
    return None


@register_frame_reader
def _content_image(result: dict[str, Any]) -> FrameImage | None:
    image = _first_image(result)
    content = image.get("content") if image else None
    if isinstance(content, (bytes, bytearray)):
        return FrameImage(
            bytes(content), mime=str((image or {}).get("content_type") or "image/jpeg")
        )
    return None


def frame_image(result: dict[str, Any]) -> FrameImage | None:
    """The picture in a realtime result, or None when no reader knows its shape."""
    for reader in _READERS:
        found = reader(result)
        if found is not None:
            return found
    return None


# -- which endpoints are realtime -----------------------------------------------------------------
# fal's realtime docs list these; ids ending in /realtime are realtime by name (fal-platform.md 3.6)
KNOWN_REALTIME = frozenset({"fal-ai/fast-lcm-diffusion", "fal-ai/fast-turbo-diffusion"})


def realtime_capable(endpoint: str, document: dict[str, Any] | None = None) -> bool:
    """Whether an app should offer a Live switch for `endpoint`.

    True for fal's documented realtime apps, ids ending in `/realtime`, documents whose paths carry
    fal's `x-fal-protocol: {type: realtime}` marker, and endpoints this process serves with
    `@endpoint(..., realtime=...)` on the local server.
    """
    endpoint = endpoint.strip("/")
    if endpoint in KNOWN_REALTIME or endpoint.endswith("/realtime"):
        return True
    for item in ((document or {}).get("paths") or {}).values():
        marker = item.get("x-fal-protocol") if isinstance(item, dict) else None
        if isinstance(marker, dict) and marker.get("type") == "realtime":
            return True
    from falwidgets.server._registry import endpoints

    found = endpoints().get(endpoint)
    return found is not None and found.realtime is not None


# -- controls -------------------------------------------------------------------------------------
def live_controls(endpoint: Any) -> list[dict[str, Any]]:
    """The panel's controls for an endpoint id or schema: prompt, seed and a strength slider.

    Each is ``{name, kind: "prompt"|"seed"|"slider", label, default, min, max, step}``; an endpoint
    without a schema gets a bare prompt and seed.
    """
    fields = _input_fields(endpoint)
    controls: list[dict[str, Any]] = []
    by_role = {f.role: f for f in reversed(fields) if f.role in ("prompt", "seed")}
    prompt = next((f for f in fields if f.name == "prompt"), by_role.get("prompt"))
    seed = next((f for f in fields if f.name == "seed"), by_role.get("seed"))
    controls.append(_control(prompt, "prompt", "prompt", ""))
    controls.append(_control(seed, "seed", "seed", 42))
    bounded = [
        f
        for f in fields
        if f.kind in ("number", "integer") and f.minimum is not None and f.maximum is not None
    ]
    for wanted in STRENGTH_NAMES:
        found = next((f for f in bounded if wanted in f.name), None)
        if found is not None:
            span = float(found.maximum - found.minimum) or 1.0
            step = 1 if found.kind == "integer" else 10 ** math.floor(math.log10(span / 100))
            slider = _control(found, found.name, "slider", found.minimum)
            slider.update(min=found.minimum, max=found.maximum, step=step or 0.01)
            controls.append(slider)
            break
    return controls


def _input_fields(endpoint: Any) -> list[Any]:
    from falwidgets.schema import load_endpoint

    try:
        schema = load_endpoint(endpoint)
    except Exception:  # no schema (a user's endpoint, an id not in the catalog): bare controls
        return []
    root = schema.input
    return list(root.properties) if root is not None else []


def _control(spec: Any, name: str, kind: str, fallback: Any) -> dict[str, Any]:
    default = spec.default if spec is not None and spec.has_default else fallback
    if default is None:
        default = fallback
    label = spec.label if spec is not None else name.capitalize()
    return {
        "name": spec.name if spec is not None else name,
        "kind": kind,
        "label": label,
        "default": default,
    }


# -- the session ----------------------------------------------------------------------------------
@dataclass
class LiveFrame:
    """One frame as the panel sees it: the picture, the input it answers and the measurements."""

    image: FrameImage | None
    input: dict[str, Any] | None
    result: dict[str, Any]
    latency: float
    fps: float
    index: int


class LiveSession:
    """A realtime connection on the runner loop: `send` never blocks, frames go to `on_frame`.

    Errors (a refused token, an app error) go to `on_error` as text; the session stays usable,
    and the next `send` reconnects when the socket closed (idle TIMEOUT included).
    """

    def __init__(
        self,
        endpoint: str,
        client: Any,
        *,
        on_frame: Callable[[LiveFrame], Any],
        on_error: Callable[[str], Any] = lambda message: None,
        throttle: float = 0.05,
        recv_timeout: float = 30.0,
    ) -> None:
        self.endpoint = endpoint
        self.client = client
        self.on_frame = on_frame
        self.on_error = on_error
        self.throttle = throttle
        self.recv_timeout = recv_timeout
        self.frames = 0
        self._arrivals: collections.deque[float] = collections.deque(maxlen=120)
        self._session: Any = None
        self._consumer: concurrent.futures.Future[None] | None = None
        self._closed = False

    def send(self, values: dict[str, Any]) -> concurrent.futures.Future[None]:
        """Send `values` as the latest input (from any thread; returns at once)."""
        return spawn(self._send(dict(values)))

    async def _send(self, values: dict[str, Any]) -> None:
        if self._closed:
            return
        if self._session is None:
            self._session = self._open()
            self._consumer = spawn(self._consume())
        try:
            await self._session.send(values)
        except Exception as exc:  # surfaced in the panel, never a lost task
            self.on_error(f"{type(exc).__name__}: {exc}")

    def _open(self) -> Any:
        """An async realtime session on this loop, whichever client (sync or async) was given."""
        from falwidgets.client import AsyncClient
        from falwidgets.client._realtime import AsyncRealtime, RealtimeTarget

        if isinstance(self.client, AsyncClient):
            return self.client.realtime(self.endpoint, throttle=self.throttle)
        target = RealtimeTarget.from_engine(self.client._engine)
        return AsyncRealtime(target, self.endpoint, throttle=self.throttle)

    async def _consume(self) -> None:
        from falwidgets.client import DeadlineExceeded, FalError

        while not self._closed and self._session is not None:
            try:
                frame = await self._session.recv(timeout=self.recv_timeout)
            except DeadlineExceeded:
                continue  # idle: nobody is editing
            except FalError as exc:
                if self._closed:
                    return
                self.on_error(str(exc))
                continue
            now = time.monotonic()
            self._arrivals.append(now)
            while self._arrivals and now - self._arrivals[0] > FPS_WINDOW:
                self._arrivals.popleft()
            span = now - self._arrivals[0] if len(self._arrivals) > 1 else 0.0
            fps = (len(self._arrivals) - 1) / span if span > 0 else 0.0
            self.frames += 1
            live = LiveFrame(
                frame_image(frame.data), frame.input, frame.data, frame.latency, fps, self.frames
            )
            try:
                self.on_frame(live)
            except Exception as exc:  # a display bug must not stop the stream
                self.on_error(f"{type(exc).__name__}: {exc}")

    def close(self) -> None:
        """Close the socket (bounded) and stop the consumer."""
        self._closed = True
        session, self._session = self._session, None
        if session is not None:
            spawn(session.close())
        if self._consumer is not None:
            self._consumer.cancel()


# -- the widget -----------------------------------------------------------------------------------
class LivePanel(anywidget.AnyWidget):
    """Prompt/seed/strength controls and the latest frame of a realtime endpoint, live.

    `value` holds the current input (edited in the browser or set from Python); `live` switches
    sending on and off; `frame` is the latest picture (or `frame_url`), with `fps`, `latency_ms`,
    `frames` (count) and `frame_prompt` (the prompt that frame answers); `error` the last problem.
    """

    _esm = _STATIC / "live.js"
    endpoint = traitlets.Unicode("").tag(sync=True)
    controls = traitlets.List(traitlets.Dict()).tag(sync=True)
    value = traitlets.Dict().tag(sync=True)
    live = traitlets.Bool(True).tag(sync=True)
    frame = traitlets.Bytes(b"").tag(sync=True)
    frame_url = traitlets.Unicode("").tag(sync=True)
    frame_mime = traitlets.Unicode("image/jpeg").tag(sync=True)
    frame_prompt = traitlets.Unicode("").tag(sync=True)
    frames = traitlets.Int(0).tag(sync=True)
    fps = traitlets.Float(0.0).tag(sync=True)
    latency_ms = traitlets.Float(0.0).tag(sync=True)
    error = traitlets.Unicode("").tag(sync=True)
    note = traitlets.Unicode("").tag(sync=True)

    def __init__(self, endpoint: str, client: Any, *, note: str = "", **kwargs: Any) -> None:
        controls = live_controls(endpoint)
        value = {c["name"]: c["default"] for c in controls if c["default"] not in ("", None)}
        super().__init__(endpoint=endpoint, controls=controls, value=value, note=note, **kwargs)
        self.session = LiveSession(endpoint, client, on_frame=self._show, on_error=self._problem)
        self.observe(self._edited, names=["value", "live"])
        self.add_class("fw-live-widget")

    def __repr__(self) -> str:
        return f"<LivePanel {self.endpoint} frames={self.frames}>"

    def _edited(self, change: dict[str, Any]) -> None:
        if self.live and self.value:
            self.session.send(self.value)

    def _show(self, frame: LiveFrame) -> None:
        prompt = (frame.input or {}).get("prompt")
        with self.hold_sync():
            if frame.image is not None:
                self.frame_mime = frame.image.mime
                self.frame_url = frame.image.url
                self.frame = frame.image.data
            self.frame_prompt = prompt if isinstance(prompt, str) else ""
            self.fps = round(frame.fps, 1)
            self.latency_ms = round(frame.latency * 1000, 1)
            self.frames = frame.index
            self.error = ""

    def _problem(self, message: str) -> None:
        self.error = message[:500]

    def close(self) -> None:
        self.session.close()
        super().close()


def live(endpoint: str, *, client: Any = None) -> LivePanel:
    """A live panel for a realtime endpoint: edits stream through its WebSocket as you type.

    With no `client`, like `app()`: real fal when `FAL_KEY` is set, else the local server (whose
    `fal-ai/fast-lcm-diffusion` and `fal-ai/flux-2/klein/realtime` demos answer in milliseconds).
    """
    from falwidgets._endpoint_id import parse_endpoint
    from falwidgets.runner._backend import backend_for

    parse_endpoint(endpoint)  # a bad id fails here, not in the background
    backend = backend_for(client)
    return LivePanel(endpoint, backend.client, note=backend.note)
