"""The queue protocol of fal-protocol.md section 22, checked over real HTTP."""

from __future__ import annotations

import json
import time
from typing import Any

import httpx
import pytest
from server_util import submission_count, wait_completed, wait_state

FLUX = "fal-ai/flux-realism"


@pytest.fixture
def http(local_server: Any) -> httpx.Client:
    with local_server.client() as client:
        yield client


def test_submit_returns_absolute_owner_app_urls(local_server: Any, http: httpx.Client) -> None:
    response = http.post("/fal-ai/imagen4/preview", json={"prompt": "a small boat"})
    assert response.status_code == 200
    body = response.json()
    rid = body["request_id"]
    assert body["status"] == "IN_QUEUE" and isinstance(body["queue_position"], int)
    # section 3: URLs drop the path after owner/app and point back at this server
    base = f"{local_server.url}/fal-ai/imagen4/requests/{rid}"
    assert body["response_url"] == base
    assert body["status_url"] == base + "/status"
    assert body["cancel_url"] == base + "/cancel"
    assert response.headers["x-fal-request-id"] == rid
    wait_completed(http, body["status_url"])


def test_status_codes_logs_flags_and_both_url_forms(http: httpx.Client) -> None:
    body = http.post(f"/{FLUX}", json={"prompt": "flags", "num_inference_steps": 6}).json()
    rid = body["request_id"]
    early = http.get(body["status_url"])
    assert early.status_code == 202
    assert early.json()["status"] in ("IN_QUEUE", "IN_PROGRESS")
    done = wait_completed(http, body["status_url"])
    assert done["metrics"]["inference_time"] > 0
    messages = [entry["message"] for entry in done["logs"]]
    assert "step 6/6" in messages
    assert all(entry["timestamp"].endswith("Z") for entry in done["logs"])
    for flag in ("1", "true", "True"):
        logs = http.get(body["status_url"], params={"logs": flag}).json()["logs"]
        assert len(logs) == len(done["logs"])
    for flag in ("0", "false"):
        response = http.get(body["status_url"], params={"logs": flag})
        assert response.status_code == 200 and response.json()["logs"] is None
    assert http.get(body["status_url"], params={"logs": "maybe"}).status_code == 422
    # the full endpoint id works as well as owner/app (OpenAPI documents list it that way)
    full = http.get(f"/fal-ai/flux-realism/requests/{rid}/status")
    assert full.status_code == 200
    assert (
        http.get(f"/fal-ai/flux-realism/requests/{rid}").json()
        == http.get(body["response_url"]).json()
    )
    assert http.get(f"/fal-ai/other-app/requests/{rid}/status").status_code == 404


def test_result_and_result_before_completion(http: httpx.Client) -> None:
    body = http.post(f"/{FLUX}", json={"prompt": "slow", "num_inference_steps": 80}).json()
    early = http.get(body["response_url"])
    assert early.status_code == 400
    wait_completed(http, body["status_url"])
    result = http.get(body["response_url"])
    assert result.status_code == 200
    assert result.json()["prompt"] == "slow"
    assert result.headers["x-fal-request-id"] == body["request_id"]


def test_cancel_queued_running_completed_unknown(local_server: Any) -> None:
    from falwidgets.server import serve

    with serve(port=0, workers=1, speed=0.1) as server, server.client() as http:
        running = http.post(f"/{FLUX}", json={"prompt": "a", "num_inference_steps": 400}).json()
        queued = http.post(f"/{FLUX}", json={"prompt": "b"}).json()
        assert queued["queue_position"] == 0
        behind = http.post(f"/{FLUX}", json={"prompt": "c"}).json()
        assert behind["queue_position"] == 1
        wait_state(http, running["status_url"], "IN_PROGRESS")
        # queued: removed from the queue at once; the one behind moves up
        cancelled = http.put(queued["cancel_url"])
        assert cancelled.status_code == 202
        assert cancelled.json() == {"status": "CANCELLATION_REQUESTED"}
        status = http.get(queued["status_url"]).json()
        assert status["status"] == "COMPLETED" and status["error_type"] == "client_cancelled"
        assert http.get(behind["status_url"]).json()["queue_position"] == 0
        # running: the job sees the signal between steps and stops well before 400 steps
        assert http.put(running["cancel_url"]).status_code == 202
        final = wait_completed(http, running["status_url"], deadline=5)
        assert final["error_type"] == "client_cancelled"
        assert "step 400/400" not in [e["message"] for e in final["logs"]]
        assert http.get(running["response_url"]).status_code == 499
        # completed: ALREADY_COMPLETED with 400
        wait_completed(http, behind["status_url"])
        again = http.put(behind["cancel_url"])
        assert again.status_code == 400 and again.json() == {"status": "ALREADY_COMPLETED"}
        unknown = http.put(f"/fal-ai/flux-realism/requests/{'0' * 32}/cancel")
        assert unknown.status_code == 404 and unknown.json()["status"] == "NOT_FOUND"


def test_errors_404_422_413(http: httpx.Client) -> None:
    missing = http.post("/nobody/nothing", json={"prompt": "x"})
    assert missing.status_code == 404
    assert missing.json()["detail"].startswith("No endpoint 'nobody/nothing' on this server")
    malformed = http.post(
        f"/{FLUX}", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert malformed.status_code == 422
    assert malformed.json()["detail"][0]["loc"] == ["body"]
    invalid = http.post("/fal-ai/imagen4/preview", json={"prompt": "okay", "num_images": 9})
    assert invalid.status_code == 422
    (item,) = invalid.json()["detail"]
    assert item["loc"] == ["body", "num_images"] and item["type"] == "less_than_equal"
    not_object = http.post(f"/{FLUX}", json=[1, 2])
    assert not_object.status_code == 422
    huge = http.post(f"/{FLUX}", content=b" " * (65 * 1024 * 1024))
    assert huge.status_code == 413


def test_invalid_webhook_and_timeout_headers_are_refused(http: httpx.Client) -> None:
    bad = http.post(f"/{FLUX}", params={"fal_webhook": "ftp://x"}, json={"prompt": "w"})
    assert bad.status_code == 400
    bad = http.post(f"/{FLUX}", headers={"x-fal-request-timeout": "soon"}, json={"prompt": "w"})
    assert bad.status_code == 400 and "X-Fal-Request-Timeout" in bad.json()["detail"]


def test_request_timeout_expires_while_queued() -> None:
    from falwidgets.server import serve

    with serve(port=0, workers=1, speed=0.1) as server, server.client() as http:
        http.post(f"/{FLUX}", json={"prompt": "blocker", "num_inference_steps": 150})
        late = http.post(
            f"/{FLUX}", json={"prompt": "late"}, headers={"X-Fal-Request-Timeout": "0.2"}
        ).json()
        final = wait_completed(http, late["status_url"], deadline=10)
        assert final["error_type"] == "request_timeout"
        result = http.get(late["response_url"])
        assert result.status_code == 504
        assert result.headers["x-fal-request-timeout-type"] == "user"


def test_status_stream_sends_only_new_logs_and_closes(
    local_server: Any, http: httpx.Client
) -> None:
    body = http.post(f"/{FLUX}", json={"prompt": "sse", "num_inference_steps": 10}).json()
    events: list[dict[str, Any]] = []
    with http.stream("GET", body["status_url"] + "/stream", params={"logs": "1"}) as stream:
        assert stream.headers["content-type"].startswith("text/event-stream")
        for line in stream.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    assert events[-1]["status"] == "COMPLETED"
    messages = [e["message"] for ev in events for e in (ev.get("logs") or [])]
    # every log line exactly once across events (only new lines per event)
    polled = wait_completed(http, body["status_url"])
    assert messages == [e["message"] for e in polled["logs"]]


def test_status_stream_pings_while_waiting() -> None:
    from falwidgets.server import serve

    with serve(port=0, workers=1, speed=1.0, ping_interval=0.2) as server, server.client() as http:
        body = http.post(f"/{FLUX}", json={"prompt": "ping", "num_inference_steps": 30}).json()
        lines = []
        with http.stream("GET", body["status_url"] + "/stream") as stream:
            for line in stream.iter_lines():
                lines.append(line)
        assert ": ping" in lines
        assert (
            json.loads(lines[-2][6:] if not lines[-1] else lines[-1][6:])["status"] == "COMPLETED"
        )


def test_run_and_stream_paths(local_server: Any, http: httpx.Client) -> None:
    run = http.post(f"/run/{FLUX}", json={"prompt": "direct", "num_inference_steps": 2})
    assert run.status_code == 200 and run.json()["prompt"] == "direct"
    assert run.headers["x-fal-request-id"]
    assert http.post("/run/fal-ai/flux-realism/stream", json={"prompt": "x"}).status_code == 404
    assert http.post("/run/fal-ai/imagen4/preview", json={}).status_code == 422
    events = []
    with http.stream(
        "POST",
        "/run/fal-ai/flux-krea-lora/stream",
        json={"prompt": "castle", "num_inference_steps": 8, "image_size": "square"},
    ) as stream:
        for line in stream.iter_lines():
            if line.startswith("data: "):
                events.append(json.loads(line[6:]))
    partials, final = events[:-1], events[-1]
    assert len(partials) >= 2 and all(p["partial"] for p in partials)
    assert "partial" not in final and final["images"][0]["width"] == 512


def test_metrics_count_by_endpoint(local_server: Any, http: httpx.Client) -> None:
    before = local_server.metrics.value("falwidgets_submissions_total", endpoint=FLUX)
    body = http.post(f"/{FLUX}", json={"prompt": "metrics", "num_inference_steps": 1}).json()
    wait_completed(http, body["status_url"])
    text = http.get("/metrics").text
    assert "# TYPE falwidgets_submissions_total counter" in text
    assert f'falwidgets_submissions_total{{endpoint="{FLUX}"}} {before + 1:g}' in text
    assert (
        "falwidgets_completions_total" in text and "falwidgets_job_latency_seconds_bucket" in text
    )
    assert "falwidgets_queue_depth" in text


def test_submissions_are_counted_per_input(local_server: Any, http: httpx.Client) -> None:
    arguments = {"prompt": f"count me {time.time()}", "num_inference_steps": 1}
    assert submission_count(local_server, FLUX, arguments) == 0
    http.post(f"/{FLUX}", json=arguments)
    assert submission_count(local_server, FLUX, arguments) == 1
    http.post(f"/{FLUX}", json=arguments)
    debug = http.get("/_falwidgets/submissions").json()
    assert any(d["count"] == 2 and d["endpoint"] == FLUX for d in debug["duplicates"])


def test_foreign_host_header_is_refused(local_server: Any) -> None:
    response = httpx.get(f"{local_server.url}/health", headers={"host": "evil.example:80"})
    assert response.status_code == 400
    assert httpx.get(f"{local_server.url}/health").status_code == 200


def test_openapi_document_served(http: httpx.Client) -> None:
    doc = http.get("/fal-ai/toon-crafter/openapi.json").json()
    assert "ToonCrafterInput" in doc["components"]["schemas"]
