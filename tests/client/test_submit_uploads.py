"""Files in a submit's arguments upload within the long wait; the POST keeps its own short time."""

from __future__ import annotations

import json
import time

import httpx
import pytest
from client_fakes import submitted

from falwidgets.client import DeadlineExceeded

TOKEN = {"token": "tok", "token_type": "Bearer", "base_url": "http://cdn.test"}
SLOW_UPLOAD = 1.2  # longer than the client's 1 s call timeout below


def _queue_with_slow_cdn(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/storage/auth/token":
        return httpx.Response(200, json=TOKEN)
    if request.url.path == "/files/upload":
        time.sleep(SLOW_UPLOAD)  # a big file on a slow link
        return httpx.Response(200, json={"access_url": "http://cdn.test/f/in.png"})
    assert request.method == "POST"
    assert json.loads(request.content) == {"image_url": "http://cdn.test/f/in.png"}
    return httpx.Response(200, json=submitted())


def test_an_upload_longer_than_the_call_timeout_still_submits(mock_client) -> None:
    client, rec = mock_client(_queue_with_slow_cdn, key="k", timeout=1.0)
    handle = client.submit("fal-ai/flux", {"image_url": b"\x89PNG\r\n\x1a\n..."})
    assert handle.request_id == "req-1"
    assert rec.paths()[-1] == "POST /fal-ai/flux"


def test_an_explicit_submit_timeout_bounds_uploads_and_post_together(mock_client) -> None:
    client, rec = mock_client(_queue_with_slow_cdn, key="k")
    with pytest.raises(DeadlineExceeded):
        client.submit("fal-ai/flux", {"image_url": b"\x89PNG\r\n\x1a\n..."}, timeout=1.0)
    assert "POST /fal-ai/flux" not in rec.paths()  # nothing was queued
