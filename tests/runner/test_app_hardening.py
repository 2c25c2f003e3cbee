"""Second-wave fixes: error banners, refused submits journalled, Reset, uploads, sweep cancel,
history of inlined uploads, the log pane's scroll anchor and the local-server switch."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Callable

import httpx
import pytest
from app_fixtures import accepted_stuck
from history_helpers import browser_says

import falwidgets
from _wait import async_wait_until
from falwidgets.client import AsyncClient, RetryPolicy
from falwidgets.runner import App, Sweep

IMAGE = "fal-ai/flux-realism"
HOSTILE = "<img src=x onerror=alert(1)>"


def _client(server: object) -> AsyncClient:
    return AsyncClient(base_url=server.url)  # type: ignore[attr-defined]


def _fake(answer: Callable[[httpx.Request], httpx.Response]) -> AsyncClient:
    """A client on fal's real hosts, answered offline, that retries nothing (errors at once)."""
    return AsyncClient(
        key="fake-key-123456",
        transport=httpx.MockTransport(answer),
        retry=RetryPolicy(max_attempts=1),
    )


def _submit_error(
    status: int, headers: dict[str, str]
) -> Callable[[httpx.Request], httpx.Response]:
    def answer(request: httpx.Request) -> httpx.Response:
        return httpx.Response(status, json={"detail": f"{HOSTILE} says no"}, headers=headers)

    return answer


@pytest.mark.parametrize(
    ("status", "headers", "error", "title", "rid"),
    [
        (401, {"x-fal-request-id": "rid-401"}, falwidgets.AuthError, "Authentication failed", True),
        (403, {}, falwidgets.AuthError, "Authentication failed", False),
        (429, {"retry-after": "7", "x-fal-request-id": "rid-429"}, falwidgets.RateLimited,
         "Rate limited", True),
    ],
)  # fmt: skip
def test_refused_submit_banners_escape_and_name_the_request(
    status: int, headers: dict[str, str], error: type[Exception], title: str, rid: bool
) -> None:
    ui = falwidgets.app(IMAGE, client=_fake(_submit_error(status, headers)), timeout=10)
    with pytest.raises(error) as caught:
        ui.run({"prompt": "a kite"})
    banner = ui.banner  # one banner; js/src/app/app.js draws its texts as text, never HTML
    assert banner["title"] == title and HOSTILE in banner["detail"]
    if rid:
        assert caught.value.request_id == headers["x-fal-request-id"]
        assert banner["request_id"] == headers["x-fal-request-id"]
    else:
        assert not banner["request_id"]
    if status == 429:
        assert "retry after 7" in json.dumps(banner)
    # never queued, so the client did not journal it: the runner did, with the server's words
    (entry,) = falwidgets.journal()
    assert entry.status == "FAILED" and entry.endpoint == IMAGE
    assert entry.arguments["prompt"] == "a kite" and "says no" in (entry.error or "")
    assert entry.request_id == (headers.get("x-fal-request-id") or ui.last.request_id)
    assert entry.request_id == ui.last.request_id  # the status line names the journal entry


def _stuck_queue(request: httpx.Request) -> httpx.Response:
    """Accepts the job, then keeps it in the queue forever (and lets it be cancelled)."""
    if request.method == "POST":
        return accepted_stuck()
    if request.method == "PUT":
        return httpx.Response(202, json={"status": "CANCELLATION_REQUESTED"})
    if request.url.path.endswith("/stream"):
        body = 'data: {"status": "IN_QUEUE", "queue_position": 3}\n\n'
        return httpx.Response(200, text=body, headers={"content-type": "text/event-stream"})
    return httpx.Response(200, json={"status": "IN_QUEUE", "queue_position": 3})


def test_deadline_raises_deadline_exceeded_with_the_request_id() -> None:
    ui = falwidgets.app(IMAGE, client=_fake(_stuck_queue), timeout=1.0)
    with pytest.raises(falwidgets.DeadlineExceeded) as caught:
        ui.run({"prompt": "never"})
    assert isinstance(caught.value, falwidgets.FalError)
    assert caught.value.request_id == "rid-stuck" and "rid-stuck" in str(caught.value)
    assert ui.last.state == "failed" and ui.status["text"].startswith("Failed")
    assert "Deadline exceeded" in ui.banner["title"] and ui.banner["request_id"] == "rid-stuck"


def test_server_422_marks_the_field_and_is_journalled() -> None:
    """A 422 the form could not foresee (the server's own rule) lands beside its field."""

    def answer(request: httpx.Request) -> httpx.Response:
        detail = [{"loc": ["body", "prompt"], "msg": f"{HOSTILE} is banned", "type": "value_error"}]
        return httpx.Response(422, json={"detail": detail})

    ui = falwidgets.app(IMAGE, client=_fake(answer), timeout=10)
    with pytest.raises(falwidgets.InputRejected):
        ui.run({"prompt": "a banned word"})
    assert ui.form.fields["prompt"].error.endswith("is banned")
    # the message sits beside the field; the banner only names it
    assert ui.banner["title"] == "The server refused 1 field" and ui.banner["detail"] == "prompt"
    (entry,) = falwidgets.journal()
    assert entry.status == "FAILED" and entry.error_type
    assert entry.arguments == json.loads(json.dumps(ui.last.arguments))


def test_reset_button_restores_defaults(local_server: object, echo_endpoint: str) -> None:
    ui = falwidgets.app(echo_endpoint, client=_client(local_server))
    ui.form.value = {"text": "x" * 40, "steps": 9}
    browser_says(ui, type="run")  # refused: the banner asks to fix the field
    assert ui.banner["title"].startswith("Fix 1 field") and ui.runs == []
    browser_says(ui, type="reset")  # the Reset button
    assert ui.form.value == {"text": "hi", "steps": 3}
    assert ui.form.errors == [] and ui.banner == {}


def _upload_png(ui: App, name: str = "image_url") -> str:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 32
    message = {"type": "upload", "path": [name], "name": "dot.png", "mime": "image/png"}
    ui._on_message(ui, message, [memoryview(png)])  # a file dropped in the browser
    ui.wait_uploads(10)  # uploads run in the background
    return ui.form.value[name]


def test_app_forwards_uploader_and_data_uris() -> None:
    detect = "fal-ai/moondream3-preview/detect"
    client = _fake(_stuck_queue)  # never used: the uploads below do not touch it
    inline = falwidgets.app(detect, client=client, data_uris=True)
    assert _upload_png(inline).startswith("data:image/png;base64,")
    sent: list[tuple[str, int]] = []

    def mine(data: bytes, content_type: str, file_name: str) -> str:
        sent.append((file_name, len(data)))
        return "https://files.example.org/dot.png"

    custom = falwidgets.app(detect, client=client, uploader=mine)
    assert _upload_png(custom) == "https://files.example.org/dot.png"
    assert sent == [("dot.png", 40)]
    with pytest.raises(TypeError, match="not both"):
        falwidgets.app(detect, client=client, uploader=mine, data_uris=True)


def test_sweep_cancel_ends_every_point(local_server: object, echo_endpoint: str) -> None:
    async def scenario() -> Sweep:
        s = falwidgets.sweep(
            echo_endpoint,
            {"text": "long", "steps": 2000},
            grid={"text": ["a", "b", "c", "d", "e", "f"]},
            concurrency=2,
            client=_client(local_server),
        )
        await async_wait_until(  # two points run on the server, four wait for the semaphore
            lambda: sum(p.run.state == "running" for p in s.points) == 2, 10, "two points running"
        )
        assert [p.run.state for p in s.points].count("submitting") == 4
        browser_says(s, type="cancel")  # the Cancel button
        await asyncio.wait_for(s.wait_async(), 15)
        return s

    s = asyncio.run(scenario())
    assert [p.run.state for p in s.points] == ["cancelled"] * 6 and s.done
    assert s.counts["cancelled"] == 6 and s.finished  # the browser disables Cancel then
    for cell in s.cells:
        assert cell["state"] == "cancelled" and cell["error"]["title"] == "Cancelled"


def test_history_marks_inlined_uploads_to_upload_again(local_server: object) -> None:
    from falwidgets.client._journal import default_journal

    detect = "fal-ai/moondream3-preview/detect"
    big = "data:image/png;base64," + "A" * 70_000  # over the journal's 64 KB cap
    journal = default_journal()
    journal.write_submit(
        request_id="rid-inline",
        endpoint=detect,
        base="https://queue.fal.run",
        status_url="",
        response_url="",
        cancel_url="",
        arguments={"image_url": big, "prompt": "cup"},
    ).result()
    journal.record_final("rid-inline", "COMPLETED", result={"objects": []})
    h = falwidgets.history(client=_client(local_server))
    (view,) = h.entries
    (row,) = h.rows
    assert view.arguments["image_url"].startswith("<data:image/png;base64 omitted: ")
    assert "upload" in row["rerun_blocked"] and "image_url" in row["rerun_blocked"]
    with pytest.raises(ValueError, match="upload the file again"):
        h.rerun(view)
    ui = h.load(view)
    assert ui.form.value.get("prompt") == "cup"  # the other fields load
    assert "omitted" not in json.dumps(ui.form.value)  # the marker is never sent as a URL
    assert ui.form.fields["image_url"].error.startswith("upload again")
    browser_says(ui, type="run")  # Run refuses until the file is there again
    assert ui.runs == [] and ui.banner["title"] == "Fix 1 field first"
    assert ui.banner["detail"] == "image_url"


def test_falwidgets_local_forces_the_local_server(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_KEY", "fwtest-id:fwtest-secret-value")
    monkeypatch.setenv("FALWIDGETS_SERVER_SPEED", "0.1")
    assert falwidgets.app(IMAGE).backend.kind == "fal"
    monkeypatch.setenv("FALWIDGETS_LOCAL", "1")
    ui = falwidgets.app(IMAGE)
    assert ui.backend.kind == "local" and "FALWIDGETS_LOCAL is set" in ui.note
    out = ui.run({"prompt": "offline with a key", "num_inference_steps": 2})
    assert out["images"][0]["url"].startswith(ui.backend.base_url)
