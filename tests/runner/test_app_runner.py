"""The runner against the real local server: status, logs, results, 422s, banners, cancel."""

from __future__ import annotations

import asyncio
import json

import ipywidgets as w
import pytest
from app_fixtures import EchoIn, _echo
from ipywidgets.widgets.widget import _instances

import falwidgets
from _wait import async_wait_until
from falwidgets.client import AsyncClient
from falwidgets.runner import App


def _client(server: object) -> AsyncClient:
    return AsyncClient(base_url=server.url)  # type: ignore[attr-defined]


def test_run_shows_status_logs_and_preview(local_server: object) -> None:
    ui = falwidgets.app("fal-ai/flux-realism", client=_client(local_server))
    assert "fw-app" in ui._dom_classes
    out = ui.run({"prompt": "a cat on a mat", "seed": 5, "num_images": 2})
    assert len(out["images"]) == 2 and out["seed"] == 5
    run = ui.last
    assert run is not None and run.state == "done" and run.request_id
    assert ui.status.text.startswith("Done · inference ") and ui.status.request_id == run.request_id
    assert f'title="request id {run.request_id}"' in ui.status.value  # full id on hover
    assert any("step" in line for line in ui.logs.lines)
    (shown,) = ui.result.children
    assert out["images"][0]["url"] in shown.value  # by URL, not bytes
    assert "fw-preview" in shown._dom_classes
    entry = falwidgets.journal(limit=1)[0]
    assert entry.request_id == run.request_id and entry.status == "COMPLETED"
    assert entry.arguments["prompt"] == "a cat on a mat"
    assert ui.form.value["prompt"] == "a cat on a mat"  # the form shows what ran


def test_new_results_reuse_one_preview_widget(local_server: object) -> None:
    """Runs must not pile up widget models: the saved notebook would grow with every run."""
    ui = falwidgets.app("fal-ai/flux-realism", client=_client(local_server))
    first_out = ui.run({"prompt": "one", "num_inference_steps": 2})
    (first,) = ui.result.children
    models = len(_instances)
    second_out = ui.run({"prompt": "two", "num_inference_steps": 2, "seed": 99})
    (second,) = ui.result.children
    assert second is first and second.comm is not None
    assert second_out["images"][0]["url"] in second.value
    assert first_out["images"][0]["url"] not in second.value
    assert len(_instances) == models


def test_run_refuses_while_the_form_has_errors(local_server: object, echo_endpoint: str) -> None:
    """Invalid fields are dropped from ``form.value``: sending would ask for something else."""
    ui = falwidgets.app(echo_endpoint, client=_client(local_server))
    with pytest.raises(falwidgets.ValidationError, match="fix 1 field first") as info:
        ui.run({"text": "x" * 40, "steps": 1})
    assert [e["loc"] for e in info.value.errors] == [["body", "text"]]  # shaped like a 422
    assert ui.runs == [] and falwidgets.journal() == []  # nothing was sent
    assert ui.form.fields["text"].error  # the mark stays beside the field
    assert ui.banner.message == "Fix 1 field first: text"
    ui.run_button.click()  # the button refuses the same way, without raising
    assert ui.runs == [] and ui.refused is not None and ui.refused.state == "failed"
    assert ui.form.fields["text"].error and "Fix 1 field first" in ui.banner.value
    ui.run({"text": "ok", "steps": 1})  # a good run clears the marks and the banner
    assert ui.form.errors == [] and ui.banner.layout.display == "none"
    assert [r.state for r in ui.runs] == ["done"]


def test_failure_banner_has_request_id_and_escapes(
    local_server: object, echo_endpoint: str
) -> None:
    ui = falwidgets.app(echo_endpoint, client=_client(local_server))
    with pytest.raises(falwidgets.FalError):
        ui.run({"text": "a", "steps": 1, "fail": "<img src=x onerror=alert(1)>"})
    run = ui.last
    assert ui.banner.layout.display is None
    assert run.request_id and run.request_id in ui.banner.value
    assert "<img src=x" not in ui.banner.value
    assert "&lt;b&gt;starting&lt;/b&gt;" in ui.logs.value  # logs are escaped too
    assert ui.status.text.startswith("Failed")


def test_cancel_stops_a_long_job(local_server: object, echo_endpoint: str) -> None:
    async def scenario() -> App:
        ui = falwidgets.app(echo_endpoint, client=_client(local_server))
        run = ui.submit({"text": "slow", "steps": 2000})
        await async_wait_until(lambda: run.state == "running", 10, "the job running")
        assert run.state == "running" and not ui.cancel_button.disabled
        ui.cancel()
        await asyncio.wait_for(ui.wait_async(), 15)
        return ui

    ui = asyncio.run(scenario())
    run = ui.last
    assert run.state == "cancelled" and run.elapsed < 15
    assert ui.status.text.startswith("Cancelled")
    assert ui.cancel_button.disabled and ui.banner.layout.display == "none"
    entry = next(e for e in falwidgets.journal() if e.request_id == run.request_id)
    assert entry.status == "CANCELLED"


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
    assert ui.status.request_id == ui.last.request_id
    assert "second" in ui.result.children[0].value
    assert ui.runs[0].finished_at > ui.runs[1].finished_at  # the older run finished last...
    assert ui.cancel_button.disabled  # ...and Cancel noticed that nothing is in flight


def test_status_reports_queue_position(local_server: object, echo_endpoint: str) -> None:
    async def scenario() -> list[str]:
        client = _client(local_server)
        seen: list[str] = []
        blockers = [falwidgets.app(echo_endpoint, client=client) for _ in range(4)]
        runs = [b.submit({"text": "busy", "steps": 2000}) for b in blockers]
        await async_wait_until(  # the server's 4 workers are all busy
            lambda: all(r.state == "running" for r in runs), 10, "four blockers running"
        )
        ui = falwidgets.app(echo_endpoint, client=client)
        ui.status.observe(lambda ch: seen.append(ui.status.text), names="value")
        late = ui.submit({"text": "late", "steps": 1})
        await async_wait_until(
            lambda: late.request_id and any(t.startswith("Queued · position 0") for t in seen),
            10,
            "the queue position in the status line",
        )
        for b in blockers:
            b.cancel()
        await asyncio.wait_for(ui.wait_async(), 30)
        for b in blockers:
            await asyncio.wait_for(b.wait_async(), 15)
        return seen

    seen = asyncio.run(scenario())
    assert any(text.startswith("Queued · position 0") for text in seen), seen
    assert seen[-1].startswith("Done")


def test_served_function_and_model_targets(local_server: object, echo_endpoint: str) -> None:
    ui = falwidgets.app(_echo, client=_client(local_server))
    assert ui.endpoint == echo_endpoint
    assert set(ui.form.fields) >= {"text", "steps"}
    assert "test/echo" in ui.form.code()
    bare = falwidgets.app(EchoIn)
    assert bare.endpoint is None and bare.run_button.disabled
    with pytest.raises(RuntimeError, match="no endpoint"):
        bare.run({"text": "x"})
    with pytest.raises(TypeError, match="endpoint id"):
        falwidgets.app(42)

    def not_served() -> None: ...

    with pytest.raises(TypeError, match="not served"):
        falwidgets.app(not_served)


def _states(widget: w.Widget) -> str:
    out = [json.dumps(widget.get_state(), default=str)]
    for child in getattr(widget, "children", ()):
        out.append(_states(child))
    return "\n".join(out)


def test_key_never_reaches_widgets(monkeypatch: pytest.MonkeyPatch) -> None:
    secret = "key-id-123:very-secret-value"
    monkeypatch.setenv("FAL_KEY", secret)
    ui = falwidgets.app("fal-ai/flux-realism")
    assert ui.backend.kind == "fal"
    assert "fal.ai" in ui.note.value
    assert secret not in _states(ui) and secret not in repr(ui.backend)
    assert "very-secret" not in repr(ui.client)


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
    for text in (ui.note.value, ui.backend.note, s.title, _states(ui)):
        assert "SECRET" not in text
    assert "proxy.example.org" in ui.note.value


def test_no_key_means_the_local_server_once_per_kernel(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FALWIDGETS_SERVER_SPEED", "0.1")
    from falwidgets.runner import _backend

    a = falwidgets.app("fal-ai/flux-realism")
    b = falwidgets.app("fal-ai/flux-realism")
    assert a.backend.kind == "local" and "local fal-compatible server" in a.note.value
    assert a.backend.base_url == b.backend.base_url == _backend.local_server().url
    out = a.run({"prompt": "tiny", "num_inference_steps": 2})
    assert out["images"][0]["url"].startswith(a.backend.base_url)


def test_streaming_endpoint_replaces_partials_in_one_preview(local_server: object) -> None:
    ui = falwidgets.app("fal-ai/flux-krea-lora/stream", client=_client(local_server))
    assert ui.streaming

    async def scenario() -> None:
        run = ui.submit({"prompt": "a paper boat", "num_inference_steps": 6})
        await asyncio.sleep(0)
        await asyncio.wait_for(ui.wait_async(), 30)
        assert run.state == "done"

    asyncio.run(scenario())
    (view,) = ui.result.children
    assert "fw-stream" in view._dom_classes and view.final and view.count >= 2
    assert ui.last.output["images"][0]["url"] in view._html.value
    assert ui.status.text.startswith("Done")
    (entry,) = falwidgets.journal()  # a stream has no queue, yet it is in the history
    assert entry.request_id == ui.last.request_id and entry.status == "COMPLETED"
    assert entry.endpoint == "fal-ai/flux-krea-lora/stream"
    assert entry.arguments["prompt"] == "a paper boat"
    assert entry.result["images"][0]["url"] == ui.last.output["images"][0]["url"]
    assert ui.status.request_id == ui.last.request_id
