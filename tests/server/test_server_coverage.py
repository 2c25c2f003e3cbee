"""Routes and counters that had no test: JS-style uploads, metrics, faults by kind, webhook errors,
queue priority and X-Fal-No-Retry."""

from __future__ import annotations

import json
import re
import threading
import time
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any

import pytest
from pydantic import BaseModel
from server_util import wait_completed, wait_state

from _wait import wait_until
from falwidgets.server import Faults, FieldError, endpoint, serve
from falwidgets.server._registry import unregister

FLUX = "fal-ai/flux-realism"


# -- uploads the JS client and the proxy use --------------------------------------------------
def test_initiate_then_put(local_server: Any) -> None:
    with local_server.client() as http:
        started = http.post(
            "/storage/upload/initiate",
            params={"storage_type": "fal-cdn-v3"},
            json={"file_name": "notes.txt", "content_type": "text/plain"},
        ).json()
        assert started["file_url"].endswith("/notes.txt")
        assert http.get(started["file_url"]).status_code == 404  # nothing until the PUT
        put = http.put(started["upload_url"], content=b"hello fal")
        assert put.status_code == 200
        served = http.get(started["file_url"])
        assert served.content == b"hello fal"
        assert served.headers["content-type"].startswith("text/plain")
        unknown = http.put(f"/storage/upload/put/{'f' * 32}/x.bin", content=b"x")
        assert unknown.status_code == 404


def test_js_multipart_upload(local_server: Any) -> None:
    parts = [b"a" * 1000, b"b" * 10, b"c" * 77]
    with local_server.client() as http:
        start = http.post(
            "/storage/upload/initiate-multipart",
            json={"file_name": "big.bin", "content_type": "application/octet-stream"},
        ).json()
        upload_url, file_url = start["upload_url"], start["file_url"]
        etags = []
        for number, data in reversed(list(enumerate(parts, 1))):  # parts may arrive in any order
            put = http.put(f"{upload_url}/{number}", content=data)
            assert put.status_code == 200 and put.json()["partNumber"] == number
            etags.append({"partNumber": number, "etag": put.headers["etag"]})
        assert http.put(f"{upload_url}/0", content=b"x").status_code == 400
        assert http.put(f"{upload_url}/lots", content=b"x").status_code == 400
        missing = http.post(
            f"{upload_url}/complete", json={"parts": [*etags, {"partNumber": 9, "etag": "x"}]}
        )
        assert missing.status_code == 400 and "never uploaded" in missing.json()["detail"]
        done = http.post(f"{upload_url}/complete", json={"parts": etags})
        assert done.status_code == 200 and done.json()["file_url"] == file_url
        assert http.get(file_url).content == b"".join(parts)
        # the upload is gone once completed
        assert http.post(f"{upload_url}/complete", json={}).status_code == 404

        # the proxy allow-list's spelling: complete-multipart?upload_id=...
        again = http.post("/storage/upload/initiate-multipart", json={"file_name": "q.bin"}).json()
        upload_id = again["upload_url"].rsplit("/", 1)[1]
        http.put(f"{again['upload_url']}/1", content=b"xyz")
        assert http.post("/storage/upload/complete-multipart").status_code == 400
        finished = http.post("/storage/upload/complete-multipart", params={"upload_id": upload_id})
        assert finished.status_code == 200
        assert http.get(again["file_url"]).content == b"xyz"
        assert http.put(f"/storage/upload/multipart/{'e' * 32}/1", content=b"x").status_code == 404


# -- metrics ----------------------------------------------------------------------------------
class Echo(BaseModel):
    text: str
    mode: str = "ok"


class Said(BaseModel):
    text: str


@pytest.fixture
def echo() -> Iterator[str]:
    """An endpoint that succeeds, fails with a field error, or crashes, as asked."""

    @endpoint("tests/coverage-echo", input=Echo, output=Said)
    def run(inp: Echo, ctx: Any) -> Said:
        for _ in ctx.steps(2):
            pass
        if inp.mode == "field":
            raise FieldError("text", "not this text")
        if inp.mode == "crash":
            raise RuntimeError("boom")
        return Said(text=inp.text)

    yield "tests/coverage-echo"
    unregister("tests/coverage-echo")


def _metric(text: str, line_start: str) -> float:
    for line in text.splitlines():
        if line.startswith(line_start + " "):
            return float(line.rsplit(" ", 1)[1])
    return 0.0


def test_metrics_count_every_outcome_and_the_histogram(echo: str) -> None:
    with serve(port=0, workers=1, speed=1.0) as server, server.client() as http:
        blocker = http.post(f"/{echo}", json={"text": "block"}).json()
        queued = http.post(f"/{echo}", json={"text": "cancel me"}).json()
        assert http.put(queued["cancel_url"]).status_code == 202
        wait_completed(http, blocker["status_url"])
        for mode in ("field", "crash", "ok"):
            wait_completed(
                http, http.post(f"/{echo}", json={"text": mode, "mode": mode}).json()["status_url"]
            )
        text = http.get("/metrics").text
    label = f'{{endpoint="{echo}"}}'
    assert _metric(text, f"falwidgets_submissions_total{label}") == 5
    assert _metric(text, f"falwidgets_completions_total{label}") == 2
    assert _metric(text, f"falwidgets_failures_total{label}") == 2
    assert _metric(text, f"falwidgets_cancellations_total{label}") == 1
    count = _metric(text, "falwidgets_job_latency_seconds_count")
    assert count == 5
    buckets = [
        (float(m.group(1)) if m.group(1) != "+Inf" else float("inf"), float(m.group(2)))
        for m in re.finditer(r'falwidgets_job_latency_seconds_bucket\{le="([^"]+)"\} (\S+)', text)
    ]
    counts = [c for _, c in buckets]
    assert counts == sorted(counts) and buckets[-1] == (float("inf"), count)
    assert _metric(text, "falwidgets_job_latency_seconds_sum") > 0
    assert _metric(text, "falwidgets_queue_depth") == 0


def test_faults_are_counted_by_kind_and_slow_answers_are_slow() -> None:
    faults = Faults(slow=1.0, requeue=1.0, seed=4, slow_seconds=0.3)
    with serve(port=0, workers=1, speed=0.05, faults=faults) as server, server.client() as http:
        began = time.monotonic()
        body = http.post(f"/{FLUX}", json={"prompt": "slow", "num_inference_steps": 2}).json()
        assert time.monotonic() - began >= 0.3
        slowed = _metric(http.get("/metrics").text, 'falwidgets_faults_total{kind="slow"}')
        again = http.get("/metrics").text  # operational routes are never faulted
        assert _metric(again, 'falwidgets_faults_total{kind="slow"}') == slowed
        final = wait_completed(http, body["status_url"])
        assert any("requeued" in entry["message"] for entry in final["logs"])
        text = http.get("/metrics").text
    assert _metric(text, 'falwidgets_faults_total{kind="slow"}') >= 2
    assert _metric(text, 'falwidgets_faults_total{kind="requeue"}') >= 1
    assert 'kind="http_429"' not in text


# -- X-Fal-No-Retry and X-Fal-Queue-Priority --------------------------------------------------
def test_no_retry_fails_instead_of_requeueing() -> None:
    with (
        serve(port=0, workers=1, speed=0.05, faults="requeue=1") as server,
        server.client() as http,
    ):
        body = http.post(
            f"/{FLUX}",
            json={"prompt": "once", "num_inference_steps": 2},
            headers={"X-Fal-No-Retry": "1"},
        ).json()
        final = wait_completed(http, body["status_url"])
        assert final["error_type"] == "runner_disconnected"
        result = http.get(body["response_url"])
        assert (
            result.status_code == 503
            and result.headers["x-fal-error-type"] == "runner_disconnected"
        )


def test_low_priority_waits_behind_normal_requests() -> None:
    with serve(port=0, workers=1, speed=1.0) as server, server.client() as http:
        blocker = http.post(f"/{FLUX}", json={"prompt": "b", "num_inference_steps": 2000}).json()
        wait_state(http, blocker["status_url"], "IN_PROGRESS")
        low = http.post(f"/{FLUX}", json={"prompt": "low"}, headers={"X-Fal-Queue-Priority": "low"})
        normal = http.post(
            f"/{FLUX}", json={"prompt": "normal"}, headers={"X-Fal-Queue-Priority": "normal"}
        )
        assert low.json()["queue_position"] == 0 and normal.json()["queue_position"] == 0
        assert http.get(low.json()["status_url"]).json()["queue_position"] == 1
        bad = http.post(
            f"/{FLUX}", json={"prompt": "x"}, headers={"X-Fal-Queue-Priority": "urgent"}
        )
        assert bad.status_code == 400 and bad.headers["x-fal-error-type"] == "bad_request"
        for body in (blocker, low.json(), normal.json()):
            http.put(body["cancel_url"])


# -- webhooks: error payloads and retries -----------------------------------------------------
@pytest.fixture
def hooks() -> Iterator[tuple[str, list[dict[str, Any]], dict[str, int]]]:
    received: list[dict[str, Any]] = []
    control = {"fail": 0}

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers["content-length"])))
            if control["fail"]:
                self.send_response(503)
            else:
                received.append(
                    {"body": body, "request_id": self.headers["x-fal-webhook-request-id"]}
                )
                self.send_response(200)
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    httpd = HTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(
        target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
    ).start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}/hook", received, control
    httpd.shutdown()


def _delivered(received: list[dict[str, Any]], request_id: str) -> dict[str, Any]:
    item = wait_until(
        lambda: next((i for i in list(received) if i["request_id"] == request_id), None),
        10,
        f"the webhook of {request_id}",
    )
    return item["body"]


def test_webhook_error_payloads(local_server: Any, echo: str, hooks: Any) -> None:
    url, received, _ = hooks
    with local_server.client() as http:
        field = http.post(
            f"/{echo}", params={"fal_webhook": url}, json={"text": "f", "mode": "field"}
        ).json()
        crash = http.post(
            f"/{echo}", params={"fal_webhook": url}, json={"text": "c", "mode": "crash"}
        ).json()
    invalid = _delivered(received, field["request_id"])
    assert invalid["status"] == "ERROR" and invalid["error"] == "Invalid status code: 422"
    assert invalid["payload"] == {
        "detail": [{"loc": ["body", "text"], "msg": "not this text", "type": "value_error"}]
    }
    assert invalid["gateway_request_id"] == field["request_id"]
    failed = _delivered(received, crash["request_id"])
    assert failed["status"] == "ERROR" and failed["error"] == "Invalid status code: 500"
    assert failed["payload"] == {"detail": "Internal Server Error"}


def test_webhook_gives_up_after_every_retry(hooks: Any) -> None:
    url, _, control = hooks
    control["fail"] = 1
    with serve(port=0, speed=0.05, webhook_delay=0.0005) as server, server.client() as http:
        body = http.post(
            f"/{FLUX}",
            params={"fal_webhook": url},
            json={"prompt": "never", "num_inference_steps": 1},
        ).json()
        refused = http.post(
            f"/{FLUX}",
            params={"fal_webhook": "http://127.0.0.1:9/nobody"},
            json={"prompt": "refused", "num_inference_steps": 1},
        ).json()
        wait_until(lambda: len(server.webhooks.deliveries) >= 2, 15, "two webhook deliveries")
        by_id = {d["request_id"]: d for d in server.webhooks.deliveries}
        attempts = server.webhooks.attempts
        assert attempts == 10  # fal retries 10 times
        assert by_id[body["request_id"]] == {
            "url": url,
            "request_id": body["request_id"],
            "attempts": attempts,
            "ok": False,
        }
        assert by_id[refused["request_id"]]["attempts"] == attempts
        failed = server.metrics.value("falwidgets_webhook_deliveries_total", outcome="failed")
        assert failed == 2 * attempts
