"""Run the proxy in a background thread (tests, notebooks) with a deadline on start-up."""

from __future__ import annotations

from types import TracebackType

import httpx
import uvicorn

from falwidgets._asgi import UvicornThread
from falwidgets.client._auth import resolve_credentials
from falwidgets.proxy._app import create_app
from falwidgets.proxy._config import MiB, ProxyConfig


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
        uvicorn_config = uvicorn.Config(
            self.app, host=host, port=port, log_level="warning", lifespan="on"
        )
        self._uvicorn = UvicornThread(uvicorn_config, name="falwidgets-proxy")
        self.url = ""

    def start(self, timeout: float = 15.0) -> ProxyServer:
        self._uvicorn.start(timeout, failure="the proxy did not start (is the port free?)")
        host, port = self._uvicorn.address
        self.url = f"http://{host}:{port}"
        return self

    def usage(self) -> dict[str, dict[str, object]]:
        """Per-token counts, keyed by label (never by token)."""
        return self.app.state.proxy.limits.snapshot()

    def stop(self, timeout: float = 10.0) -> None:
        self._uvicorn.stop(timeout)

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
    max_body: int = 16 * MiB,
    max_upload: int = 100 * MiB,
    timeout: float = 120.0,
    run_timeout: float = 900.0,
    calls_per_min: int | None = 1200,
    max_uploads: int | None = 500,
    max_parts: int | None = 5000,
    cors_origins: tuple[str, ...] = ("*",),
    frames_per_unit: int = 10,
) -> ProxyServer:
    """Start a proxy in the background (see :class:`ProxyConfig` for each limit).

    ``tokens`` is a list of student tokens (labelled by fingerprint) or ``{token: label}``;
    ``key`` defaults to the key from the environment (``FAL_KEY``, or ``FAL_KEY_ID`` +
    ``FAL_KEY_SECRET``, resolved as the client does: a blank ``FAL_KEY`` is no key).
    """
    from falwidgets.proxy._tokens import fingerprint

    labels = tokens if isinstance(tokens, dict) else {t: fingerprint(t) for t in tokens}
    config = ProxyConfig(
        tokens=dict(labels),
        upstream=upstream,
        allow=tuple(allow),
        rate_per_min=rate_per_min,
        budget=budget,
        key=key if key is not None else resolve_credentials().key,
        max_body=max_body,
        max_upload=max_upload,
        timeout=timeout,
        run_timeout=run_timeout,
        calls_per_min=calls_per_min,
        max_uploads=max_uploads,
        max_parts=max_parts,
        cors_origins=tuple(cors_origins),
        frames_per_unit=frames_per_unit,
    )
    return ProxyServer(config, host=host, port=port).start()
