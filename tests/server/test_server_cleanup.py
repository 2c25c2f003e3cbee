"""Dropped run/stream calls are cancelled and forgotten; finished jobs do not keep their inputs."""

from __future__ import annotations

import json
import socket
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from server_util import submission_count, wait_completed

from falwidgets.server import endpoint, serve
from falwidgets.server._jobs import Job
from falwidgets.server._registry import unregister

FLUX = "fal-ai/flux-realism"
# about 6 s of work at speed 1.0, logging every 30 ms (the wait for it wakes on every line)
LONG = {"prompt": "dropped", "num_inference_steps": 200, "image_size": "square"}


@pytest.fixture
def server() -> Iterator[Any]:
    with serve(port=0, workers=2, speed=1.0) as running:
        yield running


def raw_post(server: Any, path: str, body: dict[str, Any]) -> socket.socket:
    """A POST whose caller can vanish at any moment (close the socket without reading)."""
    data = json.dumps(body).encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(data)}\r\n\r\n"
    )
    sock = socket.create_connection(("127.0.0.1", server.port))
    sock.sendall(head.encode() + data)
    return sock


def wait_for(check: Callable[[], Any], deadline: float = 3.0) -> Any:
    end = time.monotonic() + deadline
    while time.monotonic() < end:
        value = check()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError("condition not met in time")


def running_hidden_job(server: Any) -> Job:
    """The run/stream job the raw call started, once a worker has it."""
    return wait_for(
        lambda: next(
            (j for j in list(server.queue.jobs.values()) if not j.visible and j.logs), None
        )
    )


def test_dropped_run_of_a_chatty_job_is_cancelled_promptly(server: Any) -> None:
    sock = raw_post(server, f"/run/{FLUX}", LONG)
    job = running_hidden_job(server)
    sock.close()
    assert job.done_event.wait(2.0), "the dropped run kept running"
    assert job.error_type == "client_cancelled"


def test_a_finished_job_releases_its_inputs(local_server: Any) -> None:
    big = "data:image/png;base64," + "A" * (1 << 20)
    with local_server.client() as http:
        body = {"prompt": "big", "num_inference_steps": 2, "image_url": big}
        submitted = http.post(f"/{FLUX}", json=body).json()
        wait_completed(http, submitted["status_url"])
        assert http.get(submitted["response_url"]).status_code == 200
    job = local_server.queue.get(submitted["request_id"])
    assert job.arguments == {} and job.inp is None
    assert big not in json.dumps(job.to_record(local_server.url))
    assert submission_count(local_server, FLUX, body) == 1  # the counter keeps only a digest


@pytest.fixture(scope="module")
def slow_stream() -> Iterator[str]:
    """A streaming endpoint that would emit for 30 s: only a cancel ends it early."""

    @endpoint("tests/slow-stream", streaming=True)
    def run(inp: Any, ctx: Any) -> dict[str, Any]:
        for step in ctx.steps(1000):
            ctx.emit({"step": step})
        return {"done": True}

    yield "tests/slow-stream"
    unregister("tests/slow-stream")


@pytest.mark.parametrize("kind", ["run", "stream"])
def test_a_dropped_run_or_stream_is_forgotten_and_never_served(
    server: Any, slow_stream: str, kind: str
) -> None:
    sock = raw_post(server, f"/run/{FLUX}" if kind == "run" else f"/run/{slow_stream}", LONG)
    job = running_hidden_job(server)
    with server.client() as http:  # the queue routes do not serve run/stream jobs
        base = f"/{job.queue_prefix}/requests/{job.request_id}"
        for url in (base, f"{base}/status"):
            assert http.get(url).status_code == 404
    sock.close()
    assert job.done_event.wait(2.0) and job.error_type == "client_cancelled"
    wait_for(lambda: server.queue.get(job.request_id) is None, deadline=1.0)
    assert server.queue.watcher_count() == 0


def test_stop_answers_open_streams_before_it_closes(caplog: pytest.LogCaptureFixture) -> None:
    """stop() with status streams open on a running and a queued job: both streams end with a
    final COMPLETED event (cancelled), promptly and without an ASGI traceback."""
    import threading

    import httpx

    server = serve(port=0, workers=1, speed=1.0)
    finals: dict[str, dict[str, Any]] = {}
    http = httpx.Client(base_url=server.url, timeout=10)
    bodies = [http.post(f"/{FLUX}", json=LONG).json() for _ in range(2)]  # one runs, one waits

    def follow(body: dict[str, Any]) -> None:
        with http.stream("GET", body["status_url"] + "/stream") as response:
            for line in response.iter_lines():
                if line.startswith("data:"):
                    finals[body["request_id"]] = json.loads(line[5:])

    readers = [threading.Thread(target=follow, args=(b,), daemon=True) for b in bodies]
    for reader in readers:
        reader.start()
    time.sleep(0.3)  # both streams open
    started = time.monotonic()
    with caplog.at_level("ERROR"):
        server.stop()
    took = time.monotonic() - started
    for reader in readers:
        reader.join(5)
    http.close()
    assert took < 2.0
    assert {rid: f["status"] for rid, f in finals.items()} == {
        b["request_id"]: "COMPLETED" for b in bodies
    }
    assert all(f.get("error") == "Request cancelled" for f in finals.values())
    assert "Exception in ASGI application" not in caplog.text
