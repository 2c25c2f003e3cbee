"""Fixed (not generated) bad inputs with exact answers: enormous bodies, broken JSON strings, 422s.

The hypothesis tests in ``test_bad_input.py`` explore; these pin the statuses, messages and field
locations a user sees for the cases the issue names.
"""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

import falwidgets

MiB = 1024 * 1024
SERVER_UPLOAD_LIMIT = 110 * MiB  # falwidgets serve: fal's 100 MiB single-upload limit + headroom
SERVER_JSON_LIMIT = 64 * MiB
GAMECRAFT = "anthonywu/gamecraft"
IMAGE = "fal-ai/flux-realism"


def _zeros(mib: int) -> Iterator[bytes]:
    """A streamed body (no content-length): the receiver must count while it reads."""
    chunk = b"\0" * MiB
    for _ in range(mib):
        yield chunk


def _png_uri() -> str:
    from PIL import Image

    buffer = io.BytesIO()
    Image.new("RGB", (8, 8), "teal").save(buffer, "PNG")
    return "data:image/png;base64," + base64.b64encode(buffer.getvalue()).decode()


# --- enormous uploads ---------------------------------------------------------------------------


def test_an_upload_past_the_local_servers_limit_is_413(local_server: Any) -> None:
    answer = httpx.post(
        f"{local_server.url}/files/upload",
        content=_zeros(SERVER_UPLOAD_LIMIT // MiB + 1),
        headers={"content-type": "application/octet-stream", "x-fal-file-name": "big.bin"},
        timeout=60,
    )
    assert answer.status_code == 413
    assert answer.json()["detail"] == f"Request body too large (limit {SERVER_UPLOAD_LIMIT} bytes)"


def test_a_submit_past_the_servers_json_limit_is_a_clear_413(local_server: Any) -> None:
    client = falwidgets.Client(base_url=local_server.url, journal=False)
    with client, pytest.raises(falwidgets.FalError) as caught:
        client.submit(IMAGE, {"prompt": "x" * (SERVER_JSON_LIMIT + 1)})
    assert caught.value.status_code == 413
    assert f"Request body too large (limit {SERVER_JSON_LIMIT} bytes)" in str(caught.value)
    assert f"submit to {IMAGE}" in str(caught.value)


def test_an_upload_past_the_proxys_max_upload_is_413_streamed_or_declared(
    local_server: Any,
) -> None:
    from falwidgets.proxy import serve_proxy

    token = "fwt_upload_limit_tok"
    with serve_proxy([token], upstream=local_server.url, max_upload=2 * MiB) as proxy:
        headers = {
            "x-fal-target-url": "https://v3.fal.media/files/upload",
            "authorization": f"Key {token}",
            "content-type": "application/octet-stream",
        }
        streamed = httpx.post(proxy.url, content=_zeros(3), headers=headers, timeout=30)
        declared = httpx.post(proxy.url, content=b"\0" * (3 * MiB), headers=headers, timeout=30)
        fits = httpx.post(proxy.url, content=b"\1" * MiB, headers=headers, timeout=30)
    assert (streamed.status_code, declared.status_code) == (413, 413)
    assert streamed.json() == {
        "detail": f"body is over the limit of {2 * MiB} bytes",
        "error_type": "body_too_large",
    }
    assert declared.json()["detail"] == f"body of {3 * MiB} bytes is over the limit of {2 * MiB}"
    assert fits.status_code == 200 and httpx.get(fits.json()["access_url"]).content == b"\1" * MiB


# --- broken JSON in JSON-string fields (gamecraft) -----------------------------------------------

BROKEN = [
    pytest.param("{broken json", id="unquoted-key"),
    pytest.param("[1, 2", id="unterminated"),
    pytest.param('{"a": NaN}', id="nan"),
    pytest.param("[0.2, Infinity]", id="infinity"),
]


@pytest.mark.parametrize("field", ["action_list", "action_speed_list"])
@pytest.mark.parametrize("text", BROKEN)
def test_forms_flag_broken_json_on_the_field(field: str, text: str) -> None:
    from falwidgets.widgets import form

    game = form(GAMECRAFT)
    game.value = {**game.value, field: text}
    errors = [e for e in game.errors if e["loc"] == [field]]
    assert errors, game.errors
    assert errors[0]["msg"].startswith("Invalid JSON"), errors
    game.value = {**game.value, field: '["w"]' if field == "action_list" else "[0.2]"}
    assert not [e for e in game.errors if e["loc"] == [field]]  # fixed text clears the error


@pytest.mark.parametrize(
    ("field", "text"),
    [
        ("action_list", "{broken json"),
        ("action_list", '{"a": NaN}'),
        ("action_list", "[1, 2"),
        ("action_list", '{"a": 1}'),  # JSON, but not the list the field describes
        ("action_speed_list", "[0.2, 0.2"),
        ("action_speed_list", '{"a": NaN}'),
        ("action_speed_list", "[0.2, NaN, 0.2, 0.2]"),  # NaN is not JSON
    ],
)
def test_the_server_rejects_broken_json_strings_on_the_field(
    local_server: Any, field: str, text: str
) -> None:
    client = falwidgets.Client(base_url=local_server.url, journal=False)
    arguments = {"image": {"url": _png_uri()}, "prompt": "walk", field: text}
    with client, pytest.raises(falwidgets.InputRejected) as caught:
        client.subscribe(GAMECRAFT, arguments, timeout=30)
    assert caught.value.status_code == 422
    assert [e["loc"] for e in caught.value.errors] == [["body", field]]
    assert field in str(caught.value) and "JSON list" in str(caught.value)


# --- Client.submit with values the schema rejects ------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"prompt": "x", "num_inference_steps": "many"}, "num_inference_steps"),
        ({"prompt": "x", "num_images": [1]}, "num_images"),
        ({"prompt": "x", "image_size": "gigantic"}, "image_size"),
        ({"prompt": "x", "enable_safety_checker": {"no": 1}}, "enable_safety_checker"),
        ({"num_inference_steps": 4}, "prompt"),  # required and missing
        ({"prompt": "x", "num_inference_steps": 10**9}, "num_inference_steps"),
    ],
)
def test_submit_of_values_the_schema_rejects_is_a_field_level_422(
    local_server: Any, arguments: dict[str, Any], field: str
) -> None:
    before = httpx.get(f"{local_server.url}/_falwidgets/submissions", timeout=10).json()
    client = falwidgets.Client(base_url=local_server.url, journal=False)
    with client, pytest.raises(falwidgets.InputRejected) as caught:
        client.submit(IMAGE, arguments)
    error = caught.value
    assert error.status_code == 422 and error.request_id is None  # refused, nothing was queued
    assert any(e["loc"][:2] == ["body", field] for e in error.errors), error.errors
    assert field in str(error)
    after = httpx.get(f"{local_server.url}/_falwidgets/submissions", timeout=10).json()
    assert after == before
