"""Aim the official `fal_client` module at a local server, and keep a real key away from it.

fal_client reads its hosts from module globals (`RUN_URL_FORMAT`, `QUEUE_URL_FORMAT`,
`REALTIME_URL_FORMAT`, `REST_URL`, `CDN_URL`) at call time, always over https; overriding them is
the only way to reach a plain-http local server. Three things would otherwise carry a real
`FAL_KEY` from the environment to the local server (its `/tokens/`, uploads, websockets):

- the module-level functions (`run`, `submit`, `realtime`, `ws_connect`, `upload`, ... and their
  `_async` twins) are bound to default clients that read the environment: every one of them is
  rebound to clients holding the explicit (dummy) key;
- a client the caller makes later without a key would read the environment too: while pointed,
  fal_client's credential lookup answers the dummy key instead;
- the realtime token endpoint and the CDN token are fetched with the client's key: the dummy one.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

_URL_GLOBALS = ("RUN_URL_FORMAT", "QUEUE_URL_FORMAT", "REALTIME_URL_FORMAT", "REST_URL", "CDN_URL")


class FalClientPatch:
    """The previous fal_client settings; `restore()` (or leaving `with`) puts them back."""

    def __init__(self, saved: list[tuple[ModuleType, str, Any]]) -> None:
        self._saved = saved

    def restore(self) -> None:
        for module, name, value in reversed(self._saved):
            setattr(module, name, value)
        self._saved = []

    def __enter__(self) -> FalClientPatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()


def point_fal_client(url: str, key: str = "local:local") -> FalClientPatch:
    """Send every `fal_client` call (run, queue, uploads, realtime) to the falwidgets server at
    `url`, with `key` as `Authorization: Key <key>` (the local server accepts any key).

    A `FAL_KEY` in the environment is never sent anywhere while pointed, neither by the
    module-level functions nor by clients made without a key; `restore()` undoes it all.
    """
    import fal_client
    import fal_client.client as client_module
    from fal_client.auth import AuthCredentials

    base = url.rstrip("/")
    saved: list[tuple[ModuleType, str, Any]] = []

    def patch(module: ModuleType, name: str, value: Any) -> None:
        saved.append((module, name, getattr(module, name)))
        setattr(module, name, value)

    urls = {
        "RUN_URL_FORMAT": f"{base}/run/",
        "QUEUE_URL_FORMAT": f"{base}/",
        "REALTIME_URL_FORMAT": base.replace("http", "ws", 1) + "/run/",
        "REST_URL": base,
        "CDN_URL": base,
    }
    for name in _URL_GLOBALS:
        patch(client_module, name, urls[name])

    credentials = AuthCredentials("Key", key)

    def fetch() -> AuthCredentials:
        return credentials

    async def fetch_async() -> AuthCredentials:
        return credentials

    patch(client_module, "fetch_auth_credentials", fetch)
    patch(client_module, "fetch_auth_credentials_async", fetch_async)

    clients = {
        id(fal_client.sync_client): fal_client.SyncClient(key=key),
        id(fal_client.async_client): fal_client.AsyncClient(key=key),
    }
    for name, value in list(vars(fal_client).items()):
        owner = getattr(value, "__self__", None)
        if id(owner) in clients:  # run = sync_client.run, realtime_async = async_client.realtime
            patch(fal_client, name, getattr(clients[id(owner)], value.__name__))
        elif name in ("sync_client", "async_client"):
            patch(fal_client, name, clients[id(value)])
    return FalClientPatch(saved)
