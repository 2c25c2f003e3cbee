"""Which fal the runner talks to when the user gives no client, and the clients it owns.

A key in the environment (``FAL_KEY``, or ``FAL_KEY_ID``/``FAL_KEY_SECRET``, as the client's
``resolve_credentials`` reads them: a whitespace-only ``FAL_KEY`` is no key) means real fal; none
means the embedded local server, started once per kernel (a module-level singleton) so that every
app, history and sweep in a notebook shares one server and one set of demo endpoints.
``FALWIDGETS_SERVER_SPEED`` scales its demo jobs' step time (CI runs the notebooks faster) and
``FALWIDGETS_SERVER_WORKERS`` sets how many jobs run at once (1 makes queueing easy to see).
``FALWIDGETS_LOCAL=1`` forces the local server even when a key is set: notebooks then run offline
with a key in the environment (the secrets test runs every notebook that way).

Clients are shared the same way: one ``AsyncClient`` per host for runs (on the runner loop, whose
connections it pools), one sync ``Client`` per host for the form's uploads, and one key-less
client that follows runs a local server of an earlier kernel left behind. Apps, histories and
sweeps borrow them and never close them; they are closed at interpreter exit
(:func:`close_shared`). A client the user passes in is theirs: never closed here.
"""

from __future__ import annotations

import atexit
import contextlib
import os
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

from falwidgets.runner import _loop

if TYPE_CHECKING:
    from falwidgets.client import AsyncClient, Client
    from falwidgets.server import Server

_lock = threading.Lock()
_server: Server | None = None
_async_clients: dict[str | None, tuple[Any, AsyncClient]] = {}  # base URL -> (loop, client)
_sync_clients: dict[str | None, Client] = {}  # base URL -> client (uploads)
_exit_hook = False

Uploader = Callable[[bytes, str, str], str]
RESUME_KEY = "resume"  # the key-less client's slot (it follows stored URLs, on any host)


@dataclass(frozen=True)
class Backend:
    """A client plus the one line that tells the user where runs go (never containing a key)."""

    client: AsyncClient
    note: str
    kind: Literal["local", "fal", "custom"]
    base_url: str | None = None  # the local server's URL (uploads go there too)

    @property
    def local(self) -> bool:
        return self.kind == "local"

    def uploader(self) -> Uploader | None:
        """A form uploader ``(data, content_type, file_name) -> url`` for this backend.

        The local server and real fal get real uploads (the kernel's shared sync client for that
        host); a client the user passed may be a proxy or anything else, so files then travel as
        data URIs (None).
        """
        if self.kind == "custom":
            return None
        sync = shared_sync_client(self.base_url)

        def upload(data: bytes, content_type: str, file_name: str) -> str:
            return sync.upload(data, content_type, file_name)

        return upload


def has_key() -> bool:
    """Whether fal credentials are configured in the environment (the client's own rule).

    A key the client refuses as malformed still counts: runs then go to fal and the user sees
    the client's clear error, instead of being sent to the local server without a word.
    """
    from falwidgets.client import AuthError
    from falwidgets.client._auth import resolve_credentials

    try:
        return resolve_credentials().key is not None
    except AuthError:
        return True


def force_local() -> bool:
    """``FALWIDGETS_LOCAL`` set to a true value: use the local server whatever the key says."""
    return os.environ.get("FALWIDGETS_LOCAL", "").strip().lower() in {"1", "true", "yes", "on"}


def local_server() -> Server:
    """The embedded local server of this kernel, started on first use."""
    global _server
    with _lock:
        if _server is None:
            from falwidgets.server import serve

            speed = float(os.environ.get("FALWIDGETS_SERVER_SPEED", "1.0"))
            workers = int(os.environ.get("FALWIDGETS_SERVER_WORKERS", "4"))
            _server = serve(port=0, workers=workers, speed=speed)
            _register_exit()
        return _server


def _register_exit() -> None:
    """Close the shared clients, then stop the server, when the interpreter exits (once)."""
    global _exit_hook
    if not _exit_hook:
        _exit_hook = True
        atexit.register(_stop)  # atexit runs last-registered first: clients close before this
        atexit.register(close_shared)


def _stop() -> None:
    global _server
    with _lock:
        server, _server = _server, None
    if server is not None:
        server.stop()


def shared_client(base_url: str | None) -> AsyncClient:
    """The kernel's async client for ``base_url`` (``None``: real fal), made on first use.

    Its connections belong to the runner loop; if that loop was ever replaced (its thread died),
    a new client is made for the new loop and the old one dropped.
    """
    from falwidgets.client import AsyncClient

    return _async_for(base_url, lambda: AsyncClient(base_url=base_url))


def resume_client() -> AsyncClient:
    """A key-less, no-retry client for runs recorded against a local server of another kernel.

    It follows the URLs stored in the journal; a key from the environment is only ever sent to
    fal hosts, and none is passed here. No retries: a dead server should be marked gone at once.
    """
    from falwidgets.client import AsyncClient, RetryPolicy

    return _async_for(RESUME_KEY, lambda: AsyncClient(retry=RetryPolicy(max_attempts=1)))


def _async_for(slot: str | None, make: Callable[[], AsyncClient]) -> AsyncClient:
    loop = _loop.runner_loop()
    with _lock:
        found = _async_clients.get(slot)
        if found is not None and found[0] is loop:
            return found[1]
        client = make()
        _async_clients[slot] = (loop, client)
        _register_exit()
        return client


def shared_sync_client(base_url: str | None) -> Client:
    """The kernel's sync client for ``base_url`` (form uploads run on the kernel's thread)."""
    from falwidgets.client import Client

    with _lock:
        client = _sync_clients.get(base_url)
        if client is None:
            client = Client(base_url=base_url) if base_url else Client()
            _sync_clients[base_url] = client
            _register_exit()
        return client


def close_shared(timeout: float = 5.0) -> None:
    """Close every client this module made (at interpreter exit; tests call it too).

    The next app, history or sweep makes fresh ones.
    """
    with _lock:
        async_clients = list(_async_clients.values())
        sync_clients = list(_sync_clients.values())
        _async_clients.clear()
        _sync_clients.clear()
    for sync in sync_clients:
        with contextlib.suppress(Exception):
            sync.close()
    for loop, shared in async_clients:
        if loop.is_closed() or not loop.is_running():
            continue
        with contextlib.suppress(Exception):  # the interpreter is going: never hang or raise
            _loop.run_sync(shared.aclose(), timeout=timeout)


def default_backend() -> Backend:
    """Real fal when a key is set, else the local server (started once per kernel)."""
    if has_key() and not force_local():
        return Backend(shared_client(None), "Running on fal.ai (FAL_KEY is set).", "fal")
    server = local_server()
    why = "FALWIDGETS_LOCAL is set" if has_key() else "No FAL_KEY set"
    note = f"{why}: running on the local fal-compatible server at {server.url}."
    return Backend(shared_client(server.url), note, "local", base_url=server.url)


def backend_for(client: AsyncClient | None) -> Backend:
    """Wrap a client the user passed in, with a note naming its host (not its key)."""
    from falwidgets.client._errors import redact_url

    if client is None:
        return default_backend()
    proxy = client.proxy_origin
    if proxy:  # only scheme://host:port: a proxy path may hold a student's token
        return Backend(client, f"Running through the proxy at {proxy}.", "custom")
    # a base URL may carry ``user:password@`` or a ``/t/<token>`` path: the note is shown (and
    # saved with the notebook), so it names the host with every credential masked
    shown = redact_url(client.hosts.queue)
    note = f"Running on {shown}." if shown else "Running with the client you passed."
    return Backend(client, note, "custom")
