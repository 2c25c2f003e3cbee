"""`serve()` and `Server`: uvicorn on a background thread, so it works inside a running notebook.

The socket is bound before the thread starts, so `Server.url` is known (and `port=0` resolved) the
moment `serve()` returns; `serve()` also waits until the server answers.
"""

from __future__ import annotations

import socket
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import uvicorn

from falwidgets._asgi import UvicornThread
from falwidgets._endpoint_id import RUN_PREFIX
from falwidgets._hosts import is_loopback
from falwidgets.server._app import build_app
from falwidgets.server._faults import Faults
from falwidgets.server._jobs import JobQueue
from falwidgets.server._metrics import Metrics
from falwidgets.server._middleware import FaultMiddleware, LoopbackHostMiddleware
from falwidgets.server._state import ServerState
from falwidgets.server._storage import Storage
from falwidgets.server._urls import normalise_public_url
from falwidgets.server._webhooks import WebhookSender

START_DEADLINE = 15.0


class Server:
    """A running local fal server. Use `serve()` to start one; `stop()` or `with` to end it."""

    def __init__(
        self,
        *,
        port: int = 0,
        host: str = "127.0.0.1",
        workers: int = 4,
        speed: float = 1.0,
        faults: str | dict[str, float] | Faults | None = None,
        data_dir: str | Path | None = None,
        ping_interval: float | None = None,
        webhook_delay: float = 0.05,
        public_url: str | None = None,
    ) -> None:
        from falwidgets.server.demos import load_demos

        load_demos()
        self.host = host
        self.public_url = normalise_public_url(public_url) if public_url else None
        self.faults = Faults.parse(faults)
        self.speed = speed
        self._tmp: tempfile.TemporaryDirectory[str] | None = None
        if data_dir is None:
            self._tmp = tempfile.TemporaryDirectory(prefix="falwidgets-server-")
            root = Path(self._tmp.name)
        else:
            root = Path(data_dir).expanduser()
            root.mkdir(parents=True, exist_ok=True)
        self.data_dir = root
        family = socket.AF_INET6 if ":" in host else socket.AF_INET
        self._socket = socket.socket(family, socket.SOCK_STREAM)
        self._socket.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if family in (socket.AF_INET, socket.AF_INET6):  # no Nagle + delayed-ACK 40 ms stalls
            self._socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        try:
            self._socket.bind((host, port))
        except OSError as exc:
            self._socket.close()
            raise OSError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from None
        self._socket.listen(2048)
        self._socket.setblocking(False)
        bound_port = self._socket.getsockname()[1]
        url_host = f"[{host}]" if ":" in host else host
        if host in ("0.0.0.0", "::"):
            url_host = "127.0.0.1"
        self.url = f"http://{url_host}:{bound_port}"
        self.port = bound_port
        self.metrics = Metrics()
        # every stored URL lives under one canonical base; responses are rebased per request
        # when the server is bound beyond loopback with no public URL (see _urls)
        self.storage = Storage(root, self.public_url or self.url)
        self.webhooks = WebhookSender(
            self.metrics, base_delay=webhook_delay, canonical_base=self.storage.base_url
        )
        self.queue = JobQueue(
            self.storage,
            self.metrics,
            workers=workers,
            speed=speed,
            faults=self.faults,
            data_dir=root if data_dir is not None else None,
            on_complete=self.webhooks.send,
        )
        self.state = ServerState(
            self.storage,
            self.queue,
            self.metrics,
            self.faults,
            speed=speed,
            ping_interval=ping_interval
            if ping_interval is not None
            else max(0.5, 15.0 * min(speed, 1.0)),
            from_host=self.public_url is None and not is_loopback(host),
        )
        app: Any = FaultMiddleware(build_app(self.state), self.faults, self.metrics)
        if is_loopback(host):
            app = LoopbackHostMiddleware(app)
        config = uvicorn.Config(
            app,
            log_level="warning",
            access_log=False,
            lifespan="on",
            timeout_graceful_shutdown=2,
            limit_concurrency=None,
            backlog=2048,
        )
        self._uvicorn = UvicornThread(
            config, name=f"falwidgets-server-{bound_port}", sockets=[self._socket]
        )
        self._stopped = False

    # -- lifecycle ------------------------------------------------------------------------------
    def start(self) -> Server:
        self.queue.start()
        try:
            self._uvicorn.start(
                START_DEADLINE, failure=f"the local fal server did not start on {self.url}"
            )
        except RuntimeError:
            self.stop()
            raise
        return self

    def stop(self) -> None:
        """Stop serving, cancel running jobs, and remove the temporary data dir (if any)."""
        if self._stopped:
            return
        self._stopped = True
        self.queue.cancel_all()  # streams and run calls end with an answer, not a dropped socket
        settle = time.monotonic() + 1.0  # running jobs see their cancel between steps, and the
        while (self.queue.running or self.queue.watcher_count()) and time.monotonic() < settle:
            time.sleep(0.01)  # streams waiting on them send their last event and let go
        self._uvicorn.stop(timeout=10)
        self.queue.stop()
        self.webhooks.close()
        self._socket.close()
        if self._tmp is not None:
            self._tmp.cleanup()

    def __enter__(self) -> Server:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def __repr__(self) -> str:
        state = "stopped" if self._stopped else "running"
        return f"<falwidgets Server {self.url} {state} faults={self.faults}>"

    # -- URLs for clients -----------------------------------------------------------------------
    @property
    def queue_url(self) -> str:
        return self.url

    @property
    def run_url(self) -> str:
        """Where `fal.run` calls go: the queue lives at the root, run/stream under `/run`."""
        return f"{self.url}/{RUN_PREFIX}"

    @property
    def rest_url(self) -> str:
        return self.url

    def client(self, **kwargs: Any) -> httpx.Client:
        """A plain httpx client on this server (for tests and quick checks)."""
        return httpx.Client(base_url=self.url, timeout=kwargs.pop("timeout", 30.0), **kwargs)


def serve(
    *,
    port: int = 0,
    host: str = "127.0.0.1",
    workers: int = 4,
    speed: float = 1.0,
    faults: str | dict[str, float] | Faults | None = None,
    data_dir: str | Path | None = None,
    ping_interval: float | None = None,
    webhook_delay: float = 0.05,
    public_url: str | None = None,
) -> Server:
    """Start a fal-compatible server with the demo endpoints on a background thread.

    `port=0` picks a free port; `speed` scales demo step time (0.1 = ten times faster); `faults`
    takes the `--faults` spec; `data_dir` keeps results and files across restarts. `host` other
    than loopback must be asked for; URLs in answers then follow each request's Host header unless
    `public_url="https://demo.example.org"` fixes them (e.g. behind a reverse proxy).
    `ping_interval` is the seconds between SSE keep-alives (default: fal's 15 s scaled by
    `speed`, at least 0.5 s); `webhook_delay` is the first retry delay of a failed webhook.
    """
    return Server(
        port=port,
        host=host,
        workers=workers,
        speed=speed,
        faults=faults,
        data_dir=data_dir,
        ping_interval=ping_interval,
        webhook_delay=webhook_delay,
        public_url=public_url,
    ).start()
