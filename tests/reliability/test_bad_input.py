"""Hostile values (hypothesis) into forms and ``Client.submit``: clear errors, no invalid sends."""

from __future__ import annotations

import json
import logging
from functools import cache
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import falwidgets

ENDPOINTS = (
    "fal-ai/flux-realism",
    "fal-ai/imagen4/preview",
    "fal-ai/meshy/v5/multi-image-to-3d",
    "fal-ai/moondream3-preview/detect",
    "fal-ai/toon-crafter",
    "anthonywu/gamecraft",
    "fal-ai/minimax-music/v1.5",
)

deep = st.recursive(
    st.none() | st.integers() | st.text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=3), inner, max_size=3)
    ),
    max_leaves=40,
)
HOSTILE = st.one_of(
    st.text(max_size=40),
    st.just("x" * 200_000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(10**30), max_value=10**30),
    st.booleans(),
    st.none(),
    deep,
    st.sampled_from(
        [
            "not a url",
            "javascript:alert(1)",
            "http://",
            "ftp://example.org/x.png",
            "data:text/html,<script>alert(1)</script>",
            "file:///etc/passwd",
            "{broken json",
            '{"a": NaN}',
            "[1, 2",
            "<img src=x onerror=alert(1)>",
        ]
    ),
)
SETTINGS = settings(
    derandomize=True,  # the same examples every run: CI must not flake
    max_examples=60,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)


@cache
def _form(endpoint: str) -> tuple[Any, dict[str, Any], type[Any]]:
    from falwidgets.schema import load_endpoint

    form = falwidgets.form(endpoint)
    form.fill_example()
    return form, dict(form.value), load_endpoint(endpoint).input_model()


def _problems(model: type[Any], value: dict[str, Any], *, missing: bool = True) -> list[Any]:
    """The schema's complaints about ``value`` (``missing=False`` leaves out absent fields)."""
    from pydantic import ValidationError as PydanticError

    try:
        model.model_validate_json(json.dumps(value, allow_nan=False))
    except PydanticError as error:
        return [e for e in error.errors() if missing or e["type"] != "missing"]
    except (ValueError, TypeError) as error:  # NaN/inf or unencodable: not JSON at all
        return [str(error)]
    return []


def _rejects(model: type[Any], value: dict[str, Any]) -> bool:
    return bool(_problems(model, value))


@SETTINGS
@given(data=st.data(), value=HOSTILE)
def test_forms_flag_every_bad_value_on_its_field(data: st.DataObject, value: Any) -> None:
    endpoint = data.draw(st.sampled_from(ENDPOINTS))
    form, base, model = _form(endpoint)
    name = data.draw(st.sampled_from(sorted(base) or ["prompt"]))
    form.value = {**base, name: value}  # must not raise: a bad value is a field error
    errors = form.errors
    assert all(isinstance(e["msg"], str) and e["msg"] for e in errors)
    assert all(e["loc"] and e["loc"][0] in form.fields for e in errors), errors
    flagged = {e["loc"][0] for e in errors}
    shown = f"{endpoint}.{name}={value!r:.80}"
    # whatever the form holds (after its own coercions, e.g. a URL string -> {"url": ...}) is
    # either accepted by the schema or flagged on its field; an emptied required field is left to
    # the server's 422, which the runner maps back onto the field
    for problem in _problems(model, form.value, missing=False):
        where = problem["loc"][0] if isinstance(problem, dict) and problem["loc"] else name
        assert where in flagged, (
            f"{shown}: the schema rejects {problem!r:.200} but no field says so"
        )
    # a bad value the form dropped must not vanish silently (None means "unset": the default)
    if value is not None and name not in form.value and _rejects(model, {**base, name: value}):
        assert name in flagged, f"{shown} was dropped without an error"
    form.value = base


def test_run_button_sends_nothing_the_schema_rejects(caplog: pytest.LogCaptureFixture) -> None:
    sent: list[bytes] = []

    def fake_fal(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            sent.append(request.read())
        return httpx.Response(503, json={"detail": "fake"})

    client = falwidgets.AsyncClient(key="k" * 12, transport=httpx.MockTransport(fake_fal))
    ui = falwidgets.app("fal-ai/flux-realism", client=client, timeout=5)
    _, base, model = _form("fal-ai/flux-realism")
    caplog.set_level(logging.WARNING)
    for name, bad in [("prompt", 123), ("num_images", float("nan")), ("image_size", "weird")]:
        ui.form.value = {**base, name: bad}
        assert ui.form.errors
        ui.handle_message({"type": "run"}, [])  # the browser's Run click
        assert ui.refused is not None and ui.refused.state == "failed"
        assert ui.banner["title"].startswith("Fix "), ui.banner
    assert "Exception in callback" not in caplog.text  # nothing escaped the message handler
    assert all(not _rejects(model, json.loads(body)) for body in sent), sent


def _recording_client() -> tuple[falwidgets.Client, list[httpx.Request]]:
    sent: list[httpx.Request] = []

    def fake_fal(request: httpx.Request) -> httpx.Response:
        request.read()
        sent.append(request)
        rid = "r-1"
        base = "https://queue.fal.run/fal-ai/flux/requests/" + rid
        return httpx.Response(
            200,
            json={
                "request_id": rid,
                "status_url": base + "/status",
                "response_url": base,
                "cancel_url": base + "/cancel",
            },
        )

    client = falwidgets.Client(key="k" * 12, transport=httpx.MockTransport(fake_fal), journal=False)
    return client, sent


@SETTINGS
@given(arguments=st.dictionaries(st.text(max_size=8), HOSTILE, max_size=4))
def test_submit_sends_strict_json_or_raises_a_clear_error(arguments: dict[str, Any]) -> None:
    client, sent = _recording_client()
    try:
        client.submit("fal-ai/flux/dev", arguments)
    except (ValueError, TypeError, falwidgets.FalError) as error:
        assert str(error), "the error says what is wrong"
        assert not sent, "nothing is sent when the arguments cannot be encoded"
        return
    (request,) = sent
    assert request.url.host == "queue.fal.run"

    def no_constants(token: str) -> None:
        raise AssertionError(f"non-JSON constant {token} was sent")

    assert json.loads(request.content, parse_constant=no_constants) == json.loads(
        json.dumps(arguments)
    )


@SETTINGS
@given(endpoint=st.one_of(st.text(max_size=30), st.none(), st.integers()))
def test_submit_bad_endpoint_ids_are_call_errors_and_stay_on_the_host(endpoint: Any) -> None:
    client, sent = _recording_client()
    try:
        client.submit(endpoint, {})
    except (ValueError, TypeError) as error:
        assert "endpoint" in str(error)
        assert not sent
        return
    (request,) = sent
    assert request.url.host == "queue.fal.run"
    assert "\n" not in str(request.url) and "\r" not in str(request.url)


def test_falsy_number_on_a_url_field_is_flagged() -> None:
    form, base, _ = _form("fal-ai/moondream3-preview/detect")
    form.value = {**base, "image_url": 0.0}
    try:
        assert any(e["loc"][0] == "image_url" for e in form.errors)
    finally:
        form.value = base
