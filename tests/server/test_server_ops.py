"""Operations: faults, webhooks, persistence, user endpoints, the CLI."""

from __future__ import annotations

import contextlib
import json
import logging
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import httpx
import pytest
from pydantic import BaseModel, Field
from server_util import wait_completed

from _counts import submission_count, submissions
from _wait import wait_until
from falwidgets._endpoint_id import parse_endpoint
from falwidgets.server import FieldError, endpoint, serve
from falwidgets.server._faults import Faults
from falwidgets.server._registry import unregister

FLUX = "fal-ai/flux-realism"


# -- faults -----------------------------------------------------------------------------------
def test_fault_spec_parsing() -> None:
    faults = Faults.parse(
        "http_5xx=0.05,http_429=0.05,drop=0.02,sse_cut=0.1,slow=0.05,requeue=0.05,seed=1"
    )
    assert faults.http_5xx == 0.05 and faults.seed == 1 and faults.active
    assert not Faults.parse(None).active
    for bad, message in (
        ("nope=1", "unknown fault"),
        ("drop", "needs a value"),
        ("drop=x", "not a number"),
        ("drop=2", "must lie in"),
    ):
        with pytest.raises(ValueError, match=message):
            Faults.parse(bad)


def test_faults_never_enqueue_refused_submits_and_clients_recover() -> None:
    spec = "http_5xx=0.2,http_429=0.1,drop=0.1,seed=3"
    with serve(port=0, workers=4, speed=0.05, faults=spec) as server:
        attempts = accepted = 0
        ids: list[str] = []
        codes: set[int | str] = set()
        with httpx.Client(base_url=server.url, timeout=10) as http:
            for index in range(25):
                args = {"prompt": f"fault {index}", "num_inference_steps": 1}
                while True:
                    attempts += 1
                    try:
                        response = http.post(f"/{FLUX}", json=args)
                    except httpx.TransportError:
                        codes.add("drop")
                        continue
                    codes.add(response.status_code)
                    if response.status_code == 200:
                        accepted += 1
                        ids.append(response.json()["request_id"])
                        break
                # a refused attempt left no trace: exactly one submission per input
                assert submission_count(server, FLUX, args) == 1
        assert accepted == 25 and attempts > 25
        assert {429, "drop"} <= codes and codes & {502, 503, 504}
        metrics = httpx.get(f"{server.url}/metrics").text  # never faulted
        assert 'falwidgets_faults_total{kind="http_429"}' in metrics
        assert f'falwidgets_submissions_total{{endpoint="{FLUX}"}} 25' in metrics


def test_gateway_fault_looks_like_ingress_error() -> None:
    with serve(port=0, faults="http_5xx=1") as server:
        response = httpx.post(f"{server.url}/{FLUX}", json={"prompt": "x"})
        assert response.status_code in (502, 503, 504)
        assert "nginx" in response.text and "x-fal-request-id" not in response.headers
        assert submissions(server) == []


def test_requeue_and_sse_cut_faults() -> None:
    with (
        serve(port=0, workers=2, speed=0.05, faults="requeue=1,seed=2") as server,
        server.client() as http,
    ):
        body = http.post(f"/{FLUX}", json={"prompt": "requeue", "num_inference_steps": 3}).json()
        final = wait_completed(http, body["status_url"])
        assert "error" not in final
        assert any("requeued" in entry["message"] for entry in final["logs"])
    with serve(port=0, speed=0.1, faults="sse_cut=1") as server, server.client() as http:
        body = http.post(f"/{FLUX}", json={"prompt": "cut", "num_inference_steps": 30}).json()
        with http.stream("GET", body["status_url"] + "/stream") as stream:
            events = [
                json.loads(line[6:]) for line in stream.iter_lines() if line.startswith("data: ")
            ]
        assert len(events) == 1 and events[0]["status"] != "COMPLETED"


def _events_until_cut(response: httpx.Response) -> list[dict[str, Any]]:
    """The events of a stream that must be cut mid-way (an incomplete chunked body)."""
    events: list[dict[str, Any]] = []
    with pytest.raises(httpx.RemoteProtocolError):
        for line in response.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    return events


@contextlib.contextmanager
def uvicorn_errors() -> Iterator[list[logging.LogRecord]]:
    """Records uvicorn's error logger lets through. Enter it after the server started: uvicorn
    configures its loggers when a server is made, dropping handlers added before."""
    records: list[logging.LogRecord] = []
    handler = logging.Handler(logging.ERROR)
    handler.emit = records.append  # type: ignore[method-assign]
    logger = logging.getLogger("uvicorn.error")
    logger.addHandler(handler)
    try:
        yield records
    finally:
        logger.removeHandler(handler)


def test_a_dropped_stream_starts_before_it_is_cut() -> None:
    """`drop` on a streaming route behaves like a connection lost mid-stream: the headers and
    one event arrive first (clients that read events see a cut stream, not a broken answer)."""
    faults = Faults.parse("drop=1")
    with (
        serve(port=0, speed=0.1, faults=faults) as server,
        server.client() as http,
        uvicorn_errors() as errors,
    ):
        stream_path = "/run/fal-ai/flux-krea-lora/stream"
        with http.stream(
            "POST", stream_path, json={"prompt": "cut", "num_inference_steps": 8}
        ) as r:
            assert r.status_code == 200
            assert r.headers["content-type"].startswith("text/event-stream")
            assert len(_events_until_cut(r)) == 1
        faults.drop = 0.0
        body = http.post(f"/{FLUX}", json={"prompt": "cut", "num_inference_steps": 30}).json()
        faults.drop = 1.0
        with http.stream("GET", body["status_url"] + "/stream") as r:
            assert r.headers["content-type"].startswith("text/event-stream")
            (event,) = _events_until_cut(r)
            assert event["request_id"] == body["request_id"]
        with pytest.raises(httpx.RemoteProtocolError, match="received 0 bytes"):
            http.post(f"/{FLUX}", json={"prompt": "x"})  # not a stream: no body at all
        server.stop()  # every error is logged by now
    assert errors == []  # the cuts are on purpose: uvicorn logs no traceback for them


# -- webhooks ---------------------------------------------------------------------------------
@pytest.fixture
def receiver() -> Iterator[tuple[str, list[dict[str, Any]]]]:
    received: list[dict[str, Any]] = []
    failures = {"left": 2}  # the first two deliveries fail: the server must retry

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["content-length"]))
            if failures["left"] > 0:
                failures["left"] -= 1
                self.send_response(500)
            else:
                received.append(json.loads(body))
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hook", received
    httpd.shutdown()


def test_webhook_delivered_with_retries(
    local_server: Any, receiver: tuple[str, list[dict[str, Any]]]
) -> None:
    url, received = receiver
    with local_server.client() as http:
        body = http.post(
            f"/{FLUX}",
            params={"fal_webhook": url},
            json={"prompt": "hook", "num_inference_steps": 1},
        ).json()
        wait_completed(http, body["status_url"])
    wait_until(lambda: received, 10, "the webhook")
    (payload,) = received
    assert payload["request_id"] == body["request_id"] and payload["status"] == "OK"
    assert payload["payload"]["prompt"] == "hook" and payload["error"] is None
    # the sender records the outcome after the receiver has answered: wait for that record
    (delivery,) = wait_until(
        lambda: [
            d for d in local_server.webhooks.deliveries if d["request_id"] == body["request_id"]
        ],
        10,
        "the webhook delivery's record",
    )
    assert delivery["attempts"] == 3 and delivery["ok"]


# -- persistence ------------------------------------------------------------------------------
def test_data_dir_survives_restart(tmp_path: Path) -> None:
    with serve(port=0, speed=0.1, data_dir=tmp_path) as first, first.client() as http:
        body = http.post(f"/{FLUX}", json={"prompt": "keep me", "num_inference_steps": 1}).json()
        wait_completed(http, body["status_url"])
        image = http.get(body["response_url"]).json()["images"][0]
        picture = http.get(image["url"]).content
    with serve(port=0, speed=0.1, data_dir=tmp_path) as second, second.client() as http:
        assert second.url != first.url
        moved = body["response_url"].replace(first.url, second.url)
        result = http.get(moved)
        assert result.status_code == 200
        new_url = result.json()["images"][0]["url"]
        assert new_url.startswith(second.url) and http.get(new_url).content == picture
        assert http.get(moved + "/status").json()["status"] == "COMPLETED"
    assert tmp_path.is_dir()  # a user's data dir is never deleted


def test_finished_requests_are_forgotten_after_retention(monkeypatch: pytest.MonkeyPatch) -> None:
    from falwidgets.server import _jobs

    with serve(port=0, speed=0.1) as server, server.client() as http:
        bodies = [
            http.post(f"/{FLUX}", json={"prompt": f"p{n}", "num_inference_steps": 1}).json()
            for n in range(3)
        ]
        for body in bodies:
            wait_completed(http, body["status_url"])
        monkeypatch.setattr(_jobs, "RETENTION_SECONDS", 1.0)
        time.sleep(1.2)  # the three are now past retention
        late = http.post(f"/{FLUX}", json={"prompt": "late", "num_inference_steps": 1}).json()
        wait_completed(http, late["status_url"])  # finishing it prunes the older ones
        for body in bodies:
            assert http.get(body["status_url"]).status_code == 404
        assert http.get(late["response_url"]).status_code == 200
        assert list(server.queue.jobs) == [late["request_id"]]
        assert [rid for _, rid in server.queue._by_finish] == [late["request_id"]]


def test_temporary_data_is_removed_on_stop() -> None:
    server = serve(port=0)
    root = server.data_dir
    assert root.is_dir()
    server.stop()
    assert not root.exists()
    with pytest.raises(httpx.TransportError):
        httpx.get(f"{server.url}/health", timeout=2)


# -- user endpoints ---------------------------------------------------------------------------
class Greeting(BaseModel):
    name: str = Field(min_length=1)
    times: int = Field(default=1, ge=1, le=5)


class Reply(BaseModel):
    text: str


def test_endpoint_decorator_serves_user_functions(local_server: Any) -> None:
    @endpoint("me/greeter", input=Greeting, output=Reply)
    def greet(inp: Greeting, ctx: Any) -> Reply:
        for _ in ctx.steps(2):
            pass
        if inp.name == "nobody":
            raise FieldError("name", "nobody is not a name")
        return Reply(text=" ".join([f"hello {inp.name}"] * inp.times))

    @endpoint("me/broken", input=Greeting, output=Reply)
    def broken(inp: Greeting) -> dict[str, Any]:
        return {"wrong": True}

    try:
        with local_server.client() as http:
            assert http.post("/run/me/greeter", json={"name": "ada", "times": 2}).json() == {
                "text": "hello ada hello ada"
            }
            invalid = http.post("/me/greeter", json={"name": "", "times": 9})
            assert invalid.status_code == 422
            assert {tuple(d["loc"]) for d in invalid.json()["detail"]} == {
                ("body", "name"),
                ("body", "times"),
            }
            refused = http.post("/run/me/greeter", json={"name": "nobody"})
            assert refused.status_code == 422 and refused.json()["detail"][0]["loc"] == [
                "body",
                "name",
            ]
            body = http.post("/me/broken", json={"name": "x"}).json()
            status = wait_completed(http, body["status_url"])
            assert status["error_type"] == "runner_server_error"
            assert http.get(body["response_url"]).status_code == 500
    finally:
        unregister("me/greeter")
        unregister("me/broken")


def test_endpoint_id_rules() -> None:
    assert parse_endpoint("fal-ai/flux-pro/kontext/max").app_id == "fal-ai/flux-pro"
    assert parse_endpoint("workflows/me/flow/x").app_id == "workflows/me/flow"
    assert parse_endpoint("123-app").app_id == "123/app"
    with pytest.raises(ValueError):
        parse_endpoint("justone")


# -- CLI --------------------------------------------------------------------------------------
def test_cli_serves_and_reports(tmp_path: Path) -> None:
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "falwidgets",
            "serve",
            "--port",
            "0",
            "--speed",
            "0.1",
            "--data-dir",
            str(tmp_path),
        ],
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        line = proc.stderr.readline()
        assert "fal-compatible server on http://127.0.0.1:" in line
        url = line.split()[3]
        assert httpx.get(f"{url}/_falwidgets/info", timeout=5).json()["run_url"] == f"{url}/run"
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    bad = subprocess.run(
        [sys.executable, "-m", "falwidgets", "serve", "--faults", "x=1"],
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert bad.returncode == 2 and "unknown fault" in bad.stderr


def test_serve_names_every_option_and_takes_keywords_only() -> None:
    import inspect

    parameters = inspect.signature(serve).parameters.values()
    assert all(p.kind is inspect.Parameter.KEYWORD_ONLY for p in parameters)
    assert {"port", "host", "public_url", "ping_interval", "webhook_delay"} <= {
        p.name for p in parameters
    }
    with pytest.raises(TypeError):
        serve(8765, "0.0.0.0")  # type: ignore[misc]
    with pytest.raises(TypeError, match="colour"):
        serve(colour="red")  # type: ignore[call-arg]
