"""The runner owns its HTTP clients: one per kernel, shared; nothing left open by apps, histories
or sweeps; a client the user passes is never closed; a whitespace-only FAL_KEY is no key."""

from __future__ import annotations

import gc

import httpx
import pytest

import falwidgets
from falwidgets.client import AsyncClient
from falwidgets.runner import _backend, _loop

DEMO = "fal-ai/flux-realism"  # served by the embedded local server


def _open_httpx_clients() -> int:
    """httpx clients alive and not closed, whoever made them."""
    gc.collect()
    kinds = (httpx.Client, httpx.AsyncClient)
    return sum(1 for o in gc.get_objects() if isinstance(o, kinds) and not o.is_closed)


def _work(n_apps: int) -> list[object]:
    """Apps (one uploads a file), a history and a finished sweep, all on the default backend."""
    apps = [falwidgets.app(DEMO) for _ in range(n_apps)]
    apps[0]._upload(b"\x89PNG fake", "image/png", "a.png")  # the shared sync uploader
    made: list[object] = [*apps, falwidgets.history(resume=False)]
    made.append(falwidgets.sweep(DEMO, {"prompt": "x", "num_inference_steps": 1}, {"seed": [1]}))
    return made


def test_apps_histories_and_sweeps_share_the_kernels_clients_and_leak_none(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("FALWIDGETS_SERVER_SPEED", "0.05")
    _backend.close_shared()
    before = _open_httpx_clients()

    first = _work(5)
    assert all(not s.failures for s in first if isinstance(s, falwidgets.Sweep))
    with_shared = _open_httpx_clients()
    assert with_shared > before  # the shared clients exist now...
    for thing in first:
        thing.close()  # type: ignore[attr-defined]
    assert _open_httpx_clients() == with_shared  # ...closing an app never closes them

    second = _work(5)  # five more apps, a history and a sweep: not one new client
    assert _open_httpx_clients() == with_shared
    for thing in second:
        thing.close()  # type: ignore[attr-defined]

    _backend.close_shared()  # what interpreter exit runs
    assert _open_httpx_clients() == before


def test_a_client_the_user_passes_is_never_closed(local_server: object) -> None:
    mine = AsyncClient(base_url=local_server.url)  # type: ignore[attr-defined]
    before = _open_httpx_clients()
    apps = [falwidgets.app(DEMO, client=mine) for _ in range(3)]
    history = falwidgets.history(apps[0], client=mine, resume=False)
    sweep = falwidgets.sweep(
        DEMO, {"prompt": "x", "num_inference_steps": 1}, {"seed": [1, 2]}, client=mine
    )
    assert sweep.run(60) and not sweep.failures
    for thing in (*apps, history, sweep):
        thing.close()
    _backend.close_shared()
    assert _open_httpx_clients() == before
    handle = _loop.run_sync(mine.submit(DEMO, {"prompt": "still open"}), timeout=30)
    assert handle.request_id
    _loop.run_sync(mine.aclose(), timeout=10)


@pytest.mark.parametrize("value", ["", "   ", "\t\n"])
def test_a_blank_fal_key_means_the_local_server(
    monkeypatch: pytest.MonkeyPatch, value: str
) -> None:
    monkeypatch.setenv("FAL_KEY", value)
    monkeypatch.delenv("FALWIDGETS_LOCAL", raising=False)
    backend = _backend.default_backend()
    assert backend.kind == "local" and backend.base_url == _backend.local_server().url
    assert "No FAL_KEY set" in backend.note


def test_a_real_looking_key_means_fal(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_KEY", "id:secret")
    monkeypatch.delenv("FALWIDGETS_LOCAL", raising=False)
    backend = _backend.default_backend()
    assert backend.kind == "fal" and backend.client is _backend.shared_client(None)
    monkeypatch.setenv("FALWIDGETS_LOCAL", "1")
    assert _backend.default_backend().kind == "local"
