"""Run the proxy in a background thread (tests, notebooks) with a deadline on start-up."""

from __future__ import annotations

import threading
import time
from types import TracebackType

import httpx
import uvicorn

from falwidgets.proxy._app import ProxyConfig, create_app


class ProxyServer:
    """A running proxy: ``.url``, ``.usage()``, ``.stop()``; also a context manager."""

    def __init__(
        self,
        config: ProxyConfig,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.config = config
        self.app = create_app(config, transport=transport)
        self._server = uvicorn.Server(
            uvicorn.Config(self.app, host=host, port=port, log_level="warning", lifespan="on")
        )
        self._thread = threading.Thread(
            target=self._server.run, name="falwidgets-proxy", daemon=True
        )
        self.url = ""

    def start(self, timeout: float = 15.0) -> ProxyServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("the proxy did not start (is the port free?)")
            time.sleep(0.01)
        host, port = self._server.servers[0].sockets[0].getsockname()[:2]
        self.url = f"http://{host}:{port}"
        return self

    def usage(self) -> dict[str, dict[str, object]]:
        """Per-token counts, keyed by label (never by token)."""
        return self.app.state.proxy.limits.snapshot()

    def stop(self, timeout: float = 10.0) -> None:
        self._server.should_exit = True
        if self._thread.is_alive():
            self._thread.join(timeout)

    def __enter__(self) -> ProxyServer:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    def __repr__(self) -> str:
        return f"ProxyServer(url={self.url!r}, upstream={self.config.upstream or 'fal'!r})"


def serve_proxy(
    tokens: dict[str, str] | list[str],
    *,
    upstream: str | None = None,
    allow: tuple[str, ...] | list[str] = (),
    rate_per_min: int | None = None,
    budget: int | None = None,
    key: str | None = None,
    host: str = "127.0.0.1",
    port: int = 0,
    **options: object,
) -> ProxyServer:
    """Start a proxy in the background; ``key`` defaults to ``FAL_KEY`` from the environment."""
    from falwidgets.proxy._app import resolve_key
    from falwidgets.proxy._tokens import fingerprint

    labels = tokens if isinstance(tokens, dict) else {t: fingerprint(t) for t in tokens}
    config = ProxyConfig(
        tokens=dict(labels),
        upstream=upstream,
        allow=tuple(allow),
        rate_per_min=rate_per_min,
        budget=budget,
        key=key if key is not None else resolve_key(),
        **options,  # type: ignore[arg-type]
    )
    return ProxyServer(config, host=host, port=port).start()
