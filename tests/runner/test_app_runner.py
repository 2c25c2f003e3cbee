"""The runner against the real local server: several runs, where runs go, keys never shown.

Status, logs, results, 422s, banners, cancel, queue position, targets and streaming are in
test_face_app.py and test_face_app_parity.py."""

from __future__ import annotations

import asyncio
import json

import pytest

import falwidgets
from falwidgets.client import AsyncClient
from falwidgets.runner import App


def _client(server: object) -> AsyncClient:
    return AsyncClient(base_url=server.url)  # type: ignore[attr-defined]


def _states(ui: App) -> str:
    """Everything the app syncs to the page (and a saved notebook keeps), as one string."""
    return json.dumps(ui.get_state(), default=str)


def test_several_runs_in_flight_and_the_status_follows_the_newest(
    local_server: object, echo_endpoint: str
) -> None:
    async def scenario() -> App:
        ui = falwidgets.app(echo_endpoint, client=_client(local_server))
        ui.submit({"text": "first", "steps": 20})
        ui.submit({"text": "second", "steps": 2})
        assert len(ui.in_flight) == 2
        await asyncio.wait_for(ui.wait_async(), 30)
        return ui

    ui = asyncio.run(scenario())
    assert [r.state for r in ui.runs] == ["done", "done"]
    assert [r.output["text"] for r in ui.runs] == ["first", "second"]
    assert ui.last is not None and ui.status["request_id"] == ui.last.request_id
    assert "second" in json.dumps(ui.result) and "first" not in json.dumps(ui.result)
    assert ui.runs[0].finished_at > ui.runs[1].finished_at  # the older run finished last...
    assert not ui.in_flight and not ui.busy  # ...and nothing is left to cancel


def test_key_never_reaches_widgets(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "key-id-123:very-secret-value"
    monkeypatch.setenv("FAL_KEY", secret)
    ui = falwidgets.app("fal-ai/flux-realism")
    assert ui.backend.kind == "fal"
    assert "fal.ai" in ui.note
    assert secret not in _states(ui) and secret not in repr(ui.backend)
    assert "very-secret" not in repr(ui.client) and "very-secret" not in repr(ui)


@pytest.mark.parametrize(
    "base_url",
    ["https://user:SECRETPW@proxy.example.org/", "https://proxy.example.org/t/SECRETTOKEN123"],
)
def test_credentials_in_a_client_url_never_reach_the_note(base_url: str) -> None:
    """A password or proxy token in a custom client's URL is masked in the "Running on" note
    (of the app and of a sweep's caption): both are shown and saved with the notebook."""
    from falwidgets.runner import Sweep

    client = AsyncClient(base_url=base_url)
    ui = falwidgets.app("fal-ai/flux-realism", client=client)
    s = Sweep("fal-ai/flux-realism", {}, {"seed": [1]}, client=client)
    for text in (ui.note, ui.backend.note, s.title, _states(ui)):
        assert "SECRET" not in text
    assert "proxy.example.org" in ui.note
    s.close()


def test_no_key_means_the_local_server_once_per_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FALWIDGETS_SERVER_SPEED", "0.1")
    from falwidgets.runner import _backend

    a = falwidgets.app("fal-ai/flux-realism")
    b = falwidgets.app("fal-ai/flux-realism")
    assert a.backend.kind == "local" and "local fal-compatible server" in a.note
    assert a.backend.base_url == b.backend.base_url == _backend.local_server().url
    out = a.run({"prompt": "tiny", "num_inference_steps": 2})
    assert out["images"][0]["url"].startswith(a.backend.base_url)
