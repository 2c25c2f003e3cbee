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
    with serve_proxy([token], upstream=local_server.url, key=SENTINEL, allow=[IMAGE]) as proxy:
        client = falwidgets.Client(proxy_url=f"{proxy.url}/t/{token}")
        answer = client.subscribe(IMAGE, {"prompt": "via proxy", "num_inference_steps": 2})
        with pytest.raises(falwidgets.FalError) as caught:  # refused by the proxy's --allow
            client.submit("fal-ai/imagen4/preview", {"prompt": "not allowed"})
        assert caught.value.status_code == 403
        texts = [json.dumps(answer), error_texts(caught.value), repr(proxy), repr(proxy.config)]
        texts.append(json.dumps(proxy.usage()))
    texts.append(caplog.text)
    assert leaks("\n".join(texts)) == []
    assert "HTTP Request: POST" in caplog.text  # httpx logged the calls, its URLs redacted:
    assert token not in "\n".join(texts)  # a student's token is a credential too
    assert "/t/***" in caplog.text


NOTEBOOK_DIR = Path(__file__).resolve().parents[2] / "notebooks"
NOTEBOOKS = sorted(p.stem for p in NOTEBOOK_DIR.glob("[0-9][0-9]-*.ipynb"))

# First cell: keep every log record of the kernel (any logger, any level) to look at the end.
_CAPTURE_LOGS = """
import io as _io, logging as _logging
_fw_log = _io.StringIO()
_fw_handler = _logging.StreamHandler(_fw_log)
_fw_handler.setLevel(_logging.DEBUG)
_logging.getLogger().addHandler(_fw_handler)
_logging.getLogger().setLevel(_logging.DEBUG)
"""

# Last cell: look for the key (read from the environment, never written in a cell) in every live
# widget's state and repr, every form's code(), every global's repr, the kernel's logs and the
# embedded local server's files; print the states too, so the saved notebook holds them.
_LOOK_FOR_THE_KEY = """
import json as _json, os as _os
from pathlib import Path as _Path
from ipywidgets.widgets.widget import _instances as _fw_instances
from falwidgets.widgets import Form as _FwForm
from falwidgets.runner import _backend as _fw_backend

_fw_key = _os.environ["FAL_KEY"]
_fw_pieces = [_fw_key, *_fw_key.split(":", 1)]
_fw_seen, _fw_states, _fw_forms = [], [], 0
for _fw_widget in list(_fw_instances.values()):
    try:
        _fw_states.append(_json.dumps(_fw_widget.get_state(), default=repr))
    except Exception as _fw_exc:
        _fw_states.append(f"unreadable {type(_fw_widget).__name__}: {_fw_exc}")
    _fw_seen.append(repr(_fw_widget))
    if isinstance(_fw_widget, _FwForm):
        _fw_seen.append(_fw_widget.code())
        _fw_forms += 1
_fw_seen += [repr(_fw_v) for _fw_k, _fw_v in list(globals().items()) if not _fw_k.startswith("_")]
_fw_seen.append(_fw_log.getvalue())
_fw_server = _fw_backend._server
if _fw_server is not None:
    for _fw_path in _Path(_fw_server.data_dir).rglob("*"):
        if _fw_path.is_file():
            _fw_seen.append(_fw_path.read_bytes().decode("latin-1"))
_fw_all = "\\n".join(_fw_seen + _fw_states)
_fw_leaks = sum(_fw_piece in _fw_all for _fw_piece in _fw_pieces)
print("\\n".join(_fw_states))
print(f"fw-secrets: widgets={len(_fw_states)} forms={_fw_forms} log={len(_fw_log.getvalue())}"
      f" leaks={_fw_leaks}")
"""


@pytest.mark.slow
@pytest.mark.parametrize("name", NOTEBOOKS)
def test_every_notebook_saved_with_widget_state_holds_no_key(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each notebook runs with a sentinel FAL_KEY; FALWIDGETS_LOCAL keeps it offline (06 runs a
    proxy that holds the key). The key must appear nowhere a user, a log or a file could see."""
    import os
    import re

    import nbclient
    import nbformat

    assert len(NOTEBOOKS) == 6
    monkeypatch.setenv("FAL_KEY", SENTINEL)  # the kernel inherits the environment
    monkeypatch.setenv("FALWIDGETS_LOCAL", "1")
    monkeypatch.setenv("FALWIDGETS_SERVER_SPEED", "0.1")
    notebook = nbformat.read(NOTEBOOK_DIR / f"{name}.ipynb", as_version=4)
    notebook.cells.insert(0, nbformat.v4.new_code_cell(_CAPTURE_LOGS))
    notebook.cells.append(nbformat.v4.new_code_cell(_LOOK_FOR_THE_KEY))
    nbclient.NotebookClient(
        notebook,
        timeout=120,
        kernel_name="python3",
        store_widget_state=True,
        resources={"metadata": {"path": str(NOTEBOOK_DIR)}},
    ).execute()
    saved = tmp_path / f"{name}.ipynb"
    nbformat.write(notebook, saved)
    text = saved.read_text()
    state = notebook.metadata["widgets"]["application/vnd.jupyter.widget-state+json"]["state"]
    # one anywidget model per app, form or history (each with its layout)
    models = [m["state"] for m in state.values() if m["model_name"] == "AnyModel"]
    assert models, "the widgets were saved with the notebook"
    report = re.search(r"fw-secrets: widgets=(\d+) forms=(\d+) log=(\d+) leaks=(\d+)", text)
    assert report, "the last cell looked at every widget"
    widgets, forms, log, found = map(int, report.groups())
    assert widgets >= len(state) and forms >= 1 and log > 0  # it looked at real things
    assert len([m for m in models if "value" in m]) >= forms  # every form's state was saved
    assert found == 0, "the key is in a widget, a repr, form.code(), a log or a server file"
    if name != "06-workshop":  # real runs happened on the local server despite the key
        assert "local fal-compatible server" in text and "FALWIDGETS_LOCAL is set" in text
    assert leaks(text) == []
    assert leaks(files_under(Path(os.environ["FALWIDGETS_HOME"]))) == []
    assert falwidgets.journal(), "the notebook's runs were journalled"
