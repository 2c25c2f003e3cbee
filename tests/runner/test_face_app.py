"""App (one anywidget per app) against the real local server: status, logs, progress,
results, one submission per double click, refusals, 422s, banners, cancel, code, header."""

from __future__ import annotations

import asyncio
import json
import time
import urllib.request
from collections.abc import Callable

import pytest

import falwidgets
from falwidgets.client import AsyncClient
from falwidgets.runner._app import App, app, progress_of
from falwidgets.runner._run import Run


def _client(server: object) -> AsyncClient:
    return AsyncClient(base_url=server.url)  # type: ignore[attr-defined]


def _wait(predicate: Callable[[], bool], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"condition not met within {timeout} s")
        time.sleep(0.02)


def _submissions(server: object, endpoint: str) -> int:
    with urllib.request.urlopen(server.url + "/_falwidgets/submissions", timeout=10) as resp:  # type: ignore[attr-defined]
        data = json.load(resp)
    return sum(c["count"] for c in data["submissions"] if c["endpoint"] == endpoint)


def _messages(ui: App) -> list[dict]:
    sent: list[dict] = []
    ui.send = lambda msg, buffers=None: sent.append(msg)  # type: ignore[method-assign]
    return sent


def test_run_fills_status_logs_progress_and_result(local_server: object) -> None:
    ui = app("fal-ai/flux-realism", client=_client(local_server))
    assert ui.form is ui  # one widget model for the whole app
    assert {"status", "logs", "result", "banner", "header", "busy"} <= set(ui.get_state())
    out = ui.run({"prompt": "a cat on a mat", "seed": 5, "num_images": 2})
    assert len(out["images"]) == 2
    run = ui.last
    assert run is not None and run.state == "done"
    assert ui.status["state"] == "done" and ui.status["request_id"] == run.request_id
    assert ui.status["text"].startswith("Done · inference ")
    assert ui.status["progress"] == 1.0
    assert any("step" in line["message"] for line in ui.logs)
    urls = json.dumps(ui.result)
    assert out["images"][0]["url"] in urls and out["images"][1]["url"] in urls
    assert ui.busy is False and ui.banner == {} and ui.previous == ""
    assert ui.value["prompt"] == "a cat on a mat"  # the form shows what ran


def test_a_double_click_submits_once(local_server: object, echo_endpoint: str) -> None:
    ui = app(echo_endpoint, client=_client(local_server))
    ui.value = {"text": "dbl", "steps": 40}
    before = _submissions(local_server, echo_endpoint)

    async def clicks() -> None:  # in a kernel the clicks arrive on its running loop, in turn
        ui.handle_message({"type": "run"}, [])
        await asyncio.sleep(0.3)  # the first submit has been answered by now
        ui.handle_message({"type": "run"}, [])

    asyncio.run(clicks())
    _wait(lambda: ui.last is not None and ui.last.done)
    assert len(ui.runs) == 1
    assert _submissions(local_server, echo_endpoint) - before == 1


def test_invalid_input_is_not_sent_and_the_first_bad_field_is_focused(
    local_server: object, echo_endpoint: str
) -> None:
    ui = app(echo_endpoint, client=_client(local_server))
    sent = _messages(ui)
    before = _submissions(local_server, echo_endpoint)
    run = ui.submit({"text": "x" * 40, "steps": 1})
    assert run.state == "failed" and ui.runs == []
    assert ui.banner["title"] == "Fix 1 field first" and ui.banner["detail"] == "text"
    assert ui.banner["request_id"] is None  # nothing was sent: no request id
    assert {"type": "focus_error"} in sent
    assert [e["loc"] for e in ui.errors] == [["text"]]
    assert _submissions(local_server, echo_endpoint) == before
    with pytest.raises(falwidgets.InputRejected, match="fix 1 field first"):
        ui.run()


def test_a_failed_run_shows_one_banner_with_the_request_id(
    local_server: object, echo_endpoint: str
) -> None:
    ui = app(echo_endpoint, client=_client(local_server))
    ui.run({"text": "ok", "steps": 1})
    with pytest.raises(falwidgets.FalError):
        ui.run({"text": "bad", "steps": 1, "fail": "<b>boom</b>"})
    assert ui.banner["title"] and "<b>boom</b>" in ui.banner["detail"]  # text; escaped by the DOM
    assert ui.banner["request_id"] == ui.last.request_id
    assert ui.previous.startswith("Previous result")  # the old result stays, dimmed and labelled
    assert ui.result


def test_a_server_422_marks_the_field(local_server: object) -> None:
    ui = app("fal-ai/flux-realism", client=_client(local_server))
    sent = _messages(ui)
    # image_size width beyond the server's limit: the local check lets the preset through
    ui.value = {"prompt": "x", "image_size": {"width": 5, "height": 5}, "num_images": 99}
    run = ui.submit()
    _wait(lambda: run.done)
    if run.state == "failed" and ui.errors:
        assert {"type": "focus_error"} in sent
        assert ui.banner["title"].startswith("The server refused")
    else:  # the demo server accepted it: at least the run completed cleanly
        assert run.state == "done"


def test_cancel_stops_the_run(local_server: object, echo_endpoint: str) -> None:
    ui = app(echo_endpoint, client=_client(local_server))

    async def start() -> Run:  # on a running loop (a kernel's): submit returns at once
        return ui.submit({"text": "slow", "steps": 2000})

    run = asyncio.run(start())
    _wait(lambda: run.state in ("queued", "running"))
    ui.handle_message({"type": "cancel"}, [])
    _wait(lambda: run.done)
    assert run.state == "cancelled" and ui.banner == {} and ui.busy is False


def test_header_code_example_and_reset(local_server: object) -> None:
    ui = app("fal-ai/flux-realism", client=_client(local_server))
    assert ui.header == {
        "title": "Flux realism",
        "endpoint_id": "fal-ai/flux-realism",
        "category": ui.header["category"],  # from the document's x-fal-metadata when present
        "url": "https://fal.ai/models/fal-ai/flux-realism",
    }
    sent = _messages(ui)
    ui.handle_message({"type": "example"}, [])
    assert ui.value["prompt"]
    ui.handle_message({"type": "code"}, [])
    snippets = sent[-1]["snippets"]
    assert set(snippets) == {"falwidgets", "fal_client", "javascript", "curl"}
    assert all("fal-ai/flux-realism" in text for text in snippets.values())
    ui.handle_message({"type": "reset"}, [])
    assert "prompt" not in ui.value


def test_no_key_in_state_or_repr(local_server: object, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("FAL_KEY", "secret-id:secret-key")
    ui = app("fal-ai/flux-realism", client=_client(local_server))
    ui.handle_message({"type": "code"}, [])
    blob = json.dumps({k: v for k, v in ui.get_state().items() if not k.startswith("_")})
    assert "secret-key" not in blob and "secret-key" not in repr(ui)


def test_unserved_endpoint_disables_run_with_the_reason() -> None:
    ui = app("fal-ai/post-processing")
    if ui.backend.local:
        assert "not served by the local server" in ui.disabled_reason


@pytest.mark.parametrize(
    ("line", "fraction"),
    [
        ("step 74/400", 74 / 400),
        ("Denoising 3 / 4", 0.75),
        ("35%", 0.35),
        ("hello", None),
        ("9/0", None),
    ],
)
def test_progress_of_log_lines(line: str, fraction: float | None) -> None:
    assert progress_of(line) == fraction


def test_banner_titles_name_the_plain_cause() -> None:
    import httpx

    from falwidgets.client import AuthError, RateLimited
    from falwidgets.runner._app import banner_of

    refused = AuthError("403: app 'fal-ai/imagen4' is not allowed here (endpoint_not_allowed)")
    assert banner_of(refused, None)["title"] == "The proxy refused this endpoint"
    spent = RateLimited("budget of 3 submissions for this token is used up", request_id="r1")
    assert banner_of(spent, None) == {
        "title": "Budget used up",
        "detail": str(spent),
        "request_id": "r1",
    }
    down = httpx.ConnectError("[Errno 111] Connect call failed ('127.0.0.1', 9)")
    assert banner_of(down, None)["title"] == "Server unreachable"
    assert banner_of(RuntimeError("boom"), None)["request_id"] is None


def test_refused_run_says_not_sent_and_dims_the_old_result(
    local_server: object, echo_endpoint: str
) -> None:
    ui = app(echo_endpoint, client=_client(local_server))
    ui.run({"text": "ok", "steps": 1})
    ui.submit({"text": "x" * 40, "steps": 1})
    assert ui.status == {"state": "refused", "text": "Not sent: fix 1 field"}
    assert ui.previous.startswith("Previous result")


def test_copy_code_holds_only_what_differs_from_the_defaults(local_server: object) -> None:
    ui = app("fal-ai/flux-realism", client=_client(local_server))
    ui.value = {"prompt": "a fox", "num_images": 2}
    snippet = ui.snippets()["falwidgets"]
    assert "'prompt': 'a fox'" in snippet and "'num_images': 2" in snippet
    assert "guidance_scale" not in snippet  # a default: the server applies it anyway


def test_number_or_integer_union_is_one_number_and_class_names_are_not_labels() -> None:
    from falwidgets.schema import FieldSpec
    from falwidgets.widgets._spec_json import node

    union = FieldSpec(
        name="guidance_scale",
        kind="union",
        variants=(
            FieldSpec(name="", kind="number", minimum=3, maximum=5),
            FieldSpec(name="", kind="integer", minimum=3, maximum=5),
        ),
    )
    out = node(union)
    assert out["control"] == "number" and out["slider"] and (out["min"], out["max"]) == (3, 5)
    badge = FieldSpec(name="image", kind="object", title="BadgeFile", ref="BadgeFile")
    assert node(badge)["label"] == "Image"
