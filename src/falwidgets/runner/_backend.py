"""Which fal the runner talks to when the user gives no client.

A ``FAL_KEY`` (or ``FAL_KEY_ID``/``FAL_KEY_SECRET``) in the environment means real fal; none means
the embedded local server, started once per kernel (a module-level singleton) so that every app,
history and sweep in a notebook shares one server and one set of demo endpoints.
``FALWIDGETS_SERVER_SPEED`` scales its demo jobs' step time (CI runs the notebooks faster) and
``FALWIDGETS_SERVER_WORKERS`` sets how many jobs run at once (1 makes queueing easy to see).
``FALWIDGETS_LOCAL=1`` forces the local server even when a key is set: notebooks then run offline
with a key in the environment (the secrets test runs every notebook that way).
"""

from __future__ import annotations

import atexit
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

_lock = threading.Lock()
_server: Any = None

Uploader = Callable[[bytes, str, str], str]


@dataclass(frozen=True)
class Backend:
    """A client plus the one line that tells the user where runs go (never containing a key)."""

    client: Any
    note: str
    kind: Literal["local", "fal", "custom"]
    base_url: str | None = None  # the local server's URL (uploads go there too)

    @property
    def local(self) -> bool:
        return self.kind == "local"

    def uploader(self) -> Uploader | None:
        """A form uploader ``(data, content_type, file_name) -> url`` for this backend.

        The local server and real fal get real uploads (a sync client on the same host); a client
        the user passed may be a proxy or anything else, so files then travel as data URIs (None).
        """
        if self.kind == "custom":
            return None
        from falwidgets.client import Client

        sync = Client(base_url=self.base_url) if self.base_url else Client()

        def upload(data: bytes, content_type: str, file_name: str) -> str:
            return sync.upload(data, content_type, file_name)

        return upload


def has_key() -> bool:
    """Whether fal credentials are configured in the environment."""
    return bool(
        os.environ.get("FAL_KEY")
        or (os.environ.get("FAL_KEY_ID") and os.environ.get("FAL_KEY_SECRET"))
    )


def force_local() -> bool:
    """``FALWIDGETS_LOCAL`` set to a true value: use the local server whatever the key says."""
    return os.environ.get("FALWIDGETS_LOCAL", "").strip().lower() in {"1", "true", "yes", "on"}


def local_server() -> Any:
    """The embedded local server of this kernel, started on first use."""
    global _server
    with _lock:
        if _server is None:
            from falwidgets.server import serve

            speed = float(os.environ.get("FALWIDGETS_SERVER_SPEED", "1.0"))
            workers = int(os.environ.get("FALWIDGETS_SERVER_WORKERS", "4"))
            _server = serve(port=0, workers=workers, speed=speed)
            atexit.register(_stop)
        return _server


def _stop() -> None:
    global _server
    with _lock:
        server, _server = _server, None
    if server is not None:
        server.stop()


def default_backend() -> Backend:
    """Real fal when a key is set, else the local server (started once per kernel)."""
    from falwidgets.client import AsyncClient

    if has_key() and not force_local():
        return Backend(AsyncClient(), "Running on fal.ai (FAL_KEY is set).", "fal")
    server = local_server()
    why = "FALWIDGETS_LOCAL is set" if has_key() else "No FAL_KEY set"
    note = f"{why}: running on the local fal-compatible server at {server.url}."
    return Backend(AsyncClient(base_url=server.url), note, "local", base_url=server.url)


def backend_for(client: Any) -> Backend:
    """Wrap a client the user passed in, with a note naming its host (not its key)."""
    from falwidgets.client._errors import redact_url

    if client is None:
        return default_backend()
    proxy = getattr(client, "proxy_origin", None)
    if proxy:  # only scheme://host:port: a proxy path may hold a student's token
        return Backend(client, f"Running through the proxy at {proxy}.", "custom")
    hosts = getattr(client, "hosts", None)
    base = getattr(hosts, "queue", None) or getattr(client, "base_url", None)
    # a base URL may carry ``user:password@`` or a ``/t/<token>`` path: the note is shown (and
    # saved with the notebook), so it names the host with every credential masked
    shown = redact_url(str(base)) if base else None
    note = f"Running on {shown}." if shown else "Running with the client you passed."
    return Backend(client, note, "custom")
