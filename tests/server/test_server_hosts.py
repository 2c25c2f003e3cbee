"""Binding beyond loopback: answers carry URLs the caller can reach (Host header or public_url)."""

from __future__ import annotations

import io
import json
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import httpx
import pytest
from PIL import Image
from server_util import wait_completed

from falwidgets.server import serve
from falwidgets.server._cli import lan_addresses

FLUX = "fal-ai/flux-realism"
DETECT = "fal-ai/moondream3-preview/detect"
MISSING = "files/" + "0" * 32 + "/gone.png"


@pytest.fixture(scope="module")
def wide() -> Iterator[Any]:
    with serve(port=0, host="0.0.0.0", workers=2, speed=0.05) as server:
        yield server


def _png() -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), "purple").save(buffer, "PNG")
    return buffer.getvalue()


def _callers(server: Any) -> list[tuple[str, dict[str, str], str]]:
    """(where to connect, extra headers, the base the answers must use) for each way in."""
    alias = f"falbox.lan:{server.port}"
    ways = [(server.url, {"host": alias}, f"http://{alias}")]
    # a real connection from this machine's outward address, when it has one
    ways += [
        (f"http://{a}:{server.port}", {}, f"http://{a}:{server.port}") for a in lan_addresses()
    ]
    return ways


def test_wide_server_answers_on_the_callers_base(wide: Any) -> None:
    for connect, headers, base in _callers(wide):
        with httpx.Client(base_url=connect, headers=headers, timeout=20) as http:
            assert http.get("/_falwidgets/info").json()["base_url"] == base
            token = http.post("/storage/auth/token", params={"storage_type": "fal-cdn-v3"}, json={})
            assert token.json()["base_url"] == base
            upload = http.post(
                "/files/upload",
                content=_png(),
                headers={"content-type": "image/png", "x-fal-file-name": "k.png"},
            ).json()
            assert upload["access_url"].startswith(base + "/files/")
            initiate = http.post("/storage/upload/initiate", json={"file_name": "a.txt"}).json()
            assert initiate["upload_url"].startswith(base + "/storage/upload/put/")
            assert initiate["file_url"].startswith(base + "/files/")

            body = http.post(f"/{FLUX}", json={"prompt": "lan", "num_inference_steps": 1}).json()
            for key in ("status_url", "response_url", "cancel_url"):
                assert body[key].startswith(f"{base}/fal-ai/flux-realism/requests/"), key
            status = wait_completed(http, body["status_url"].replace(base, connect))
            assert status["response_url"] == body["response_url"]
            image = http.get(body["response_url"].replace(base, connect)).json()["images"][0]
            assert image["url"].startswith(base + "/files/")
            fetched = http.get(image["url"].replace(base, connect))
            assert fetched.status_code == 200 and fetched.content[:4] == b"\xff\xd8\xff\xe0"

            # an input URL on the caller's base is this server's own file: found, or a 422
            ok = http.post(
                f"/run/{DETECT}", json={"image_url": upload["access_url"], "prompt": "x"}
            )
            assert ok.status_code == 200 and ok.json()["image"]["url"].startswith(base)
            gone = http.post(
                f"/run/{DETECT}", json={"image_url": f"{base}/{MISSING}", "prompt": "x"}
            )
            assert gone.status_code == 422
            assert gone.json()["detail"][0]["type"] == "file_download_error"


def test_bad_host_header_falls_back_to_the_bound_url(wide: Any) -> None:
    info = httpx.get(f"{wide.url}/_falwidgets/info", headers={"host": "a b/<x>"}).json()
    assert info["base_url"] == wide.url


@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            received.append(json.loads(self.rfile.read(int(self.headers["content-length"]))))
            self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hook", received
    httpd.shutdown()


def test_webhook_payload_uses_the_submit_base(
    wide: Any, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = receiver
    alias = f"http://render-farm.lan:{wide.port}"
    with httpx.Client(base_url=wide.url, headers={"host": alias[7:]}, timeout=20) as http:
        body = http.post(
            f"/{FLUX}", params={"fal_webhook": url}, json={"prompt": "hook", "seed": 1}
        ).json()
        wait_completed(http, body["status_url"].replace(alias, wide.url))
    deadline = time.monotonic() + 10
    while not received and time.monotonic() < deadline:
        time.sleep(0.02)
    (payload,) = received
    assert payload["payload"]["images"][0]["url"].startswith(alias + "/files/")


def test_public_url_fixes_every_issued_url() -> None:
    with pytest.raises(ValueError, match="public_url"):
        serve(port=0, public_url="ftp://nope")
    public = "https://fal.example.org/local"
    with serve(port=0, speed=0.05, public_url=public + "/") as server, server.client() as http:
        assert server.public_url == public and server.url.startswith("http://127.0.0.1:")
        body = http.post(f"/{FLUX}", json={"prompt": "pub", "num_inference_steps": 1}).json()
        assert body["status_url"].startswith(public + "/fal-ai/flux-realism/requests/")
        local = body["status_url"].replace(public, server.url)
        wait_completed(http, local)
        image = http.get(local[: -len("/status")]).json()["images"][0]
        assert image["url"].startswith(public + "/files/")
        assert http.get(image["url"].replace(public, server.url)).status_code == 200
        gone = http.post(f"/run/{DETECT}", json={"image_url": f"{public}/{MISSING}", "prompt": "x"})
        assert gone.status_code == 422


def test_loopback_default_is_not_reachable_from_outside(local_server: Any) -> None:
    assert local_server.host == "127.0.0.1"
    for address in lan_addresses():
        with pytest.raises(httpx.ConnectError):
            httpx.get(f"http://{address}:{local_server.port}/health", timeout=2)
    # and loopback keeps refusing foreign Host headers (DNS rebinding)
    foreign = httpx.get(
        f"{local_server.url}/health", headers={"host": f"falbox.lan:{local_server.port}"}
    )
    assert foreign.status_code == 400


@pytest.mark.parametrize(
    ("host", "status"),
    [
        ("localhost", 200),
        ("127.0.0.1", 200),
        ("127.0.0.2", 200),  # all of 127/8 is this machine (the shared rule, `_hosts`)
        ("[::1]", 200),
        ("app.localhost", 200),
        ("localhost.evil.example", 400),
        ("127.0.0.1.nip.io", 400),
        ("0.0.0.0", 400),  # not an address a browser page can be served from
    ],
)
def test_loopback_host_check_follows_the_shared_rule(
    local_server: Any, host: str, status: int
) -> None:
    answer = httpx.get(
        f"{local_server.url}/health", headers={"host": f"{host}:{local_server.port}"}
    )
    assert answer.status_code == status


def test_files_named_on_any_loopback_alias_are_read_from_disk(
    local_server: Any, key_image: str
) -> None:
    url = key_image
    alias = url.replace("127.0.0.1", "localhost")
    assert local_server.storage.local_path(alias) == local_server.storage.local_path(url)
    assert local_server.storage.local_path(url) is not None
    assert local_server.storage.local_path(url.replace("127.0.0.1", "falbox.lan")) is None


def test_cli_binds_other_hosts_only_when_asked() -> None:
    proc = subprocess.Popen(
        [sys.executable, "-m", "falwidgets", "serve", "--host", "0.0.0.0", "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        lines = [proc.stderr.readline() for _ in range(2)]
        url = lines[0].split()[3]
        assert url.startswith("http://127.0.0.1:")
        assert "reachable from other machines" in lines[1]
        port = url.rsplit(":", 1)[1]
        info = httpx.get(f"{url}/_falwidgets/info", headers={"host": f"box.lan:{port}"}).json()
        assert info["base_url"] == f"http://box.lan:{port}"
        for address in lan_addresses():
            assert httpx.get(f"http://{address}:{port}/health", timeout=5).status_code == 200
    finally:
        proc.terminate()
        proc.wait(timeout=10)
