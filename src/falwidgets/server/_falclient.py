"""Aim the official `fal_client` module at a local server by overriding its URL module globals.

fal_client reads its hosts from module globals (`RUN_URL_FORMAT`, `QUEUE_URL_FORMAT`, `REST_URL`,
`CDN_URL`) at call time, always over https; overriding them is the only way to reach a plain-http
local server. Its module-level functions are bound to a default client whose key comes from the
environment, so they are rebound to a client with an explicit (dummy) key: no `FAL_KEY` needed.
"""

from __future__ import annotations

from types import ModuleType
from typing import Any

_URL_GLOBALS = ("RUN_URL_FORMAT", "QUEUE_URL_FORMAT", "REALTIME_URL_FORMAT", "REST_URL", "CDN_URL")
_SYNC_NAMES = (
    "run",
    "subscribe",
    "submit",
    "status",
    "result",
    "cancel",
    "stream",
    "upload",
    "upload_file",
    "upload_image",
    "realtime",  # realtime/ws_connect mint their JWT at REST_URL/tokens/ and dial
    "ws_connect",  # REALTIME_URL_FORMAT (ws://<server>/run/), both served by the local server
)


class FalClientPatch:
    """The previous fal_client settings; `restore()` (or leaving `with`) puts them back."""

    def __init__(self, module: ModuleType, client_module: ModuleType, saved: dict[str, Any]):
        self._module = module
        self._client_module = client_module
        self._saved = saved

    def restore(self) -> None:
        for name, value in self._saved.items():
            target, attr = name.split(":", 1)
            setattr(self._module if target == "m" else self._client_module, attr, value)

    def __enter__(self) -> FalClientPatch:
        return self

    def __exit__(self, *exc: object) -> None:
        self.restore()


def point_fal_client(url: str, key: str = "local:local") -> FalClientPatch:
    """Send every `fal_client` call (run, queue, uploads) to the falwidgets server at `url`.

    `key` is sent as `Authorization: Key <key>`; the local server accepts any key.
    """
    import fal_client
    import fal_client.client as client_module

    base = url.rstrip("/")
    saved: dict[str, Any] = {f"c:{n}": getattr(client_module, n) for n in _URL_GLOBALS}
    names = [n for n in _SYNC_NAMES if hasattr(fal_client, n)]
    async_names = [f"{n}_async" for n in _SYNC_NAMES if hasattr(fal_client, f"{n}_async")]
    for name in ["sync_client", "async_client", *names, *async_names]:
        if hasattr(fal_client, name):
            saved[f"m:{name}"] = getattr(fal_client, name)
    client_module.RUN_URL_FORMAT = f"{base}/run/"
    client_module.QUEUE_URL_FORMAT = f"{base}/"
    client_module.REALTIME_URL_FORMAT = base.replace("http", "ws", 1) + "/run/"
    client_module.REST_URL = base
    client_module.CDN_URL = base
    sync_client = fal_client.SyncClient(key=key)
    async_client = fal_client.AsyncClient(key=key)
    fal_client.sync_client = sync_client
    fal_client.async_client = async_client
    for name in names:
        setattr(fal_client, name, getattr(sync_client, name))
    for name in async_names:
        setattr(fal_client, name, getattr(async_client, name[: -len("_async")]))
    return FalClientPatch(fal_client, client_module, saved)
