"""A sentinel FAL_KEY used for real work appears nowhere a user or a log could see it."""

from __future__ import annotations

import json
import logging
import traceback
from pathlib import Path
from typing import Any

import httpx
import pytest

import falwidgets

SENTINEL = "fwsentinelid-7c2e:fwsentinelsecret-3f9c1a5d"
PIECES = ("fwsentinelid-7c2e", "fwsentinelsecret-3f9c1a5d")  # either half leaking is a leak
IMAGE = "fal-ai/flux-realism"


def leaks(text: str) -> list[str]:
    return [piece for piece in PIECES if piece in text]


def error_texts(error: BaseException) -> str:
    return "\n".join([str(error), repr(error), *traceback.format_exception(error)])


def live_widget_states() -> str:
    """``get_state()`` of every widget alive in this process (what a notebook would save)."""
    from ipywidgets.widgets.widget import _instances

    states = []
    for widget in list(_instances.values()):
        try:
            states.append(json.dumps(widget.get_state(), default=repr))
        except Exception as exc:  # a widget whose state cannot be read must not hide a leak
            states.append(f"<unreadable {type(widget).__name__}: {exc}>")
    return "\n".join(states)


def files_under(root: Path) -> str:
    """Every byte under ``root`` (the journal's SQLite file, its WAL, caches)."""
    return "\n".join(
        p.read_bytes().decode("latin-1") for p in sorted(root.rglob("*")) if p.is_file()
    )


def echo_key_server(request: httpx.Request) -> httpx.Response:
    """A hostile or careless server that echoes the Authorization header in its errors."""
    auth = request.headers.get("authorization", "")
    secret = auth.split(":", 1)[-1]
    return httpx.Response(
        401,
        json={"detail": f"No user found for {auth!r} (secret {secret})"},
        headers={"x-fal-error-type": "unauthorized"},
    )


def test_sentinel_key_never_leaks(
    local_server: Any,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
    tmp_path_factory: pytest.TempPathFactory,
) -> None:
    import os

    monkeypatch.setenv("FAL_KEY", SENTINEL)
    caplog.set_level(logging.DEBUG)
    seen: list[str] = []

    # explicit key: sent to the local server too (an environment key only goes to fal's hosts)
    client = falwidgets.Client(key=SENTINEL, base_url=local_server.url)
    seen += [repr(client), str(client)]
    handle = client.submit(IMAGE, {"prompt": "secret test", "num_inference_steps": 2})
    seen += [repr(handle), json.dumps(handle.result(timeout=30))]
    seen.append(json.dumps(client.subscribe(IMAGE, {"prompt": "again", "num_inference_steps": 2})))
    url = client.upload(b"\x89PNG\r\n\x1a\n" + b"2" * 16, content_type="image/png")
    seen.append(url)

    failures: list[BaseException] = []
    for endpoint, arguments in [
        (IMAGE, {"prompt": 123, "num_images": "many"}),  # 422
        ("nobody/nothing", {}),  # 404
    ]:
        with pytest.raises(falwidgets.FalError) as caught:
            client.submit(endpoint, arguments).result(timeout=30)
        failures.append(caught.value)
    # the environment key on fal's real hosts (answered offline by the echoing fake)
    echo = falwidgets.Client(transport=httpx.MockTransport(echo_key_server))
    with pytest.raises(falwidgets.AuthError) as caught:
        echo.submit(IMAGE, {"prompt": "x"})
    failures.append(caught.value)
    assert "No user found" in str(caught.value)  # the server's words are kept, the key is not
    dead = falwidgets.Client(base_url="http://127.0.0.1:9", timeout=2)
    with pytest.raises(falwidgets.FalError) as caught:
        dead.submit(IMAGE, {"prompt": "x"}, timeout=2)
    failures.append(caught.value)
    seen += [error_texts(e) for e in failures]

    async_client = falwidgets.AsyncClient(key=SENTINEL, base_url=local_server.url)
    seen.append(repr(async_client))

    # widgets: a runner that succeeded, one that failed, a form's code, the history
    ui = falwidgets.app(IMAGE, client=async_client)
    ui.run({"prompt": "widget run", "num_inference_steps": 2})
    async_echo = falwidgets.AsyncClient(transport=httpx.MockTransport(echo_key_server))
    broken = falwidgets.app(IMAGE, client=async_echo)
    with pytest.raises(falwidgets.FalError) as caught:
        broken.run({"prompt": "fails"})
    seen.append(error_texts(caught.value))
    form = falwidgets.form(IMAGE)
    code = form.code()
    assert "FAL_KEY" in code or "environ" in code, "the snippet reads the key from the environment"
    seen += [code, repr(form), repr(ui), repr(broken)]
    past = falwidgets.history(client=async_client)
    seen.append(repr(past))
    seen.append(live_widget_states())

    journal = falwidgets.journal()
    assert len(journal) >= 3
    seen += [repr(entry) for entry in journal]
    seen.append(files_under(Path(os.environ["FALWIDGETS_HOME"])))
    data_dir = getattr(local_server, "data_dir", None)
    if data_dir:
        seen.append(files_under(Path(data_dir)))
    out = capsys.readouterr()
    seen += [caplog.text, out.out, out.err]

    everything = "\n".join(seen)
    assert "widget run" in everything and "secret test" in everything  # we looked at real output
    assert leaks(everything) == []


def test_proxy_key_never_reaches_students_or_logs(
    local_server: Any, caplog: pytest.LogCaptureFixture
) -> None:
    from falwidgets.proxy import serve_proxy

    token = "fwt_secret_test_token"
    caplog.set_level(logging.DEBUG)
    with serve_proxy([token], upstream=local_server.url, key=SENTINEL) as proxy:
        client = falwidgets.Client(proxy_url=f"{proxy.url}/t/{token}")
        answer = client.subscribe(IMAGE, {"prompt": "via proxy", "num_inference_steps": 2})
        with pytest.raises(falwidgets.FalError) as caught:
            client.submit("fal-ai/../etc", {})
        texts = [json.dumps(answer), error_texts(caught.value), repr(proxy), repr(proxy.config)]
        texts.append(json.dumps(proxy.usage()))
    texts.append(caplog.text)
    assert leaks("\n".join(texts)) == []


@pytest.mark.slow
def test_workshop_notebook_saved_with_widget_state_holds_no_key(tmp_path: Path) -> None:
    """Notebook 06 runs a proxy that holds the key (from FAL_KEY) and a student runner behind it."""
    import os

    import nbclient
    import nbformat

    source = Path(__file__).resolve().parents[2] / "notebooks" / "06-workshop.ipynb"
    notebook = nbformat.read(source, as_version=4)
    env_before = os.environ.get("FAL_KEY")
    os.environ["FAL_KEY"] = SENTINEL  # the kernel inherits it; the proxy in the notebook reads it
    try:
        nbclient.NotebookClient(
            notebook,
            timeout=120,
            kernel_name="python3",
            store_widget_state=True,
            resources={"metadata": {"path": str(tmp_path)}},
        ).execute()
    finally:
        if env_before is None:
            os.environ.pop("FAL_KEY", None)
        else:
            os.environ["FAL_KEY"] = env_before
    saved = tmp_path / "06-run.ipynb"
    nbformat.write(notebook, saved)
    text = saved.read_text()
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    assert len(state) > 10, "the runner's widgets were saved with the notebook"
    assert "treasure island" in text or "images" in text  # the student's run really happened
    assert leaks(text) == []
    assert leaks(files_under(Path(os.environ["FALWIDGETS_HOME"]))) == []
