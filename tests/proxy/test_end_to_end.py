"""Every allowed flow through the proxy against the real local server as upstream."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from _wait import wait_until
from falwidgets.proxy import ProxyServer, serve_proxy
from loop_helpers import run_coroutine

STUDENT = "fwt_student_token_01"
OTHER = "fwt_student_token_02"
IMAGE = "fal-ai/flux-realism"


@pytest.fixture(scope="module")
def proxy(local_server: Any) -> Iterator[ProxyServer]:
    with serve_proxy(
        {STUDENT: "student-1", OTHER: "student-2"},
        upstream=local_server.url,
        allow=[IMAGE, "fal-ai/flux-krea-lora/stream"],
        key="local-server-needs-no-key",
        budget=50,
    ) as server:
        yield server


def via(proxy: ProxyServer, method: str, target: str, token: str = STUDENT, **kw: Any) -> Any:
    headers = {"x-fal-target-url": target, "authorization": f"Key {token}", **kw.pop("headers", {})}
    return httpx.request(method, proxy.url, headers=headers, timeout=30, **kw)


def wait_done(proxy: ProxyServer, status_url: str, deadline: float = 20.0) -> dict[str, Any]:
    def completed() -> dict[str, Any] | None:
        answer = via(proxy, "GET", status_url + "?logs=1")
        assert answer.status_code in (200, 202), answer.text
        return answer.json() if answer.json()["status"] == "COMPLETED" else None

    return wait_until(completed, deadline, f"{status_url} to complete through the proxy")


def test_submit_status_result_through_the_proxy(proxy: ProxyServer) -> None:
    submitted = via(
        proxy, "POST", f"https://queue.fal.run/{IMAGE}", json={"prompt": "a cat", "seed": 7}
    )
    assert submitted.status_code == 200, submitted.text
    body = submitted.json()
    status = wait_done(proxy, body["status_url"])
    assert status["logs"], "progress logs are relayed"
    result = via(proxy, "GET", body["response_url"])
    assert result.status_code == 200
    image = result.json()["images"][0]
    assert httpx.get(image["url"]).content[:2] == b"\xff\xd8"  # a real JPEG, served directly
    # the fal-style URL (queue.fal.run) works the same as the server's own status_url
    fal_style = f"https://queue.fal.run/{IMAGE}/requests/{body['request_id']}/status"
    assert via(proxy, "GET", fal_style).json()["status"] == "COMPLETED"


def test_sse_status_stream_through_the_proxy(proxy: ProxyServer) -> None:
    body = via(proxy, "POST", f"https://queue.fal.run/{IMAGE}", json={"prompt": "sse"}).json()
    stream_url = f"https://queue.fal.run/{IMAGE}/requests/{body['request_id']}/status/stream"
    with httpx.stream(
        "GET",
        proxy.url,
        headers={"x-fal-target-url": stream_url + "?logs=1", "authorization": f"Key {STUDENT}"},
        timeout=30,
    ) as answer:
        assert answer.headers["content-type"].startswith("text/event-stream")
        events = [line for line in answer.iter_lines() if line.startswith("data:")]
    assert '"COMPLETED"' in events[-1]


def test_cancel_run_and_stream_through_the_proxy(proxy: ProxyServer) -> None:
    slow = {"prompt": "long", "num_inference_steps": 50}
    body = via(proxy, "POST", f"https://queue.fal.run/{IMAGE}", json=slow).json()
    cancelled = via(proxy, "PUT", body["cancel_url"])
    assert cancelled.status_code in (200, 202, 400), cancelled.text
    assert cancelled.json()["status"] in ("CANCELLATION_REQUESTED", "ALREADY_COMPLETED")
    ran = via(proxy, "POST", f"https://fal.run/{IMAGE}", json={"prompt": "run", "seed": 1})
    assert ran.status_code == 200 and ran.json()["images"]
    streamed = via(
        proxy,
        "POST",
        "https://fal.run/fal-ai/flux-krea-lora/stream/stream",
        json={"prompt": "stream", "num_inference_steps": 4},
    )
    assert streamed.status_code == 200, streamed.text
    assert streamed.text.count("data:") >= 2


def test_uploads_through_the_proxy(proxy: ProxyServer) -> None:
    png = b"\x89PNG\r\n\x1a\n" + b"\0" * 64
    cdn = via(
        proxy,
        "POST",
        "https://v3.fal.media/files/upload",
        content=png,
        headers={"content-type": "image/png", "x-fal-file-name": "cat.png"},
    )
    assert cdn.status_code == 200, cdn.text
    assert httpx.get(cdn.json()["access_url"]).content == png
    initiate = via(
        proxy,
        "POST",
        "https://rest.fal.ai/storage/upload/initiate?storage_type=fal-cdn-v3",
        json={"content_type": "image/png", "file_name": "dog.png"},
    )
    assert initiate.status_code == 200, initiate.text
    urls = initiate.json()
    assert httpx.put(urls["upload_url"], content=png, headers={"content-type": "image/png"})
    assert httpx.get(urls["file_url"]).content == png


def _submissions(server: Any) -> int:
    """Every submission the local server has enqueued, by its own counter."""
    counted = httpx.get(f"{server.url}/_falwidgets/submissions", timeout=10).json()
    return sum(c["count"] for c in counted["submissions"])


def test_forbidden_cases_never_reach_the_server(proxy: ProxyServer, local_server: Any) -> None:
    before = _submissions(local_server)
    cases = [
        ("POST", f"https://queue.fal.run/{IMAGE}", "fwt_nobody_0000000", 401, "invalid_token"),
        (
            "POST",
            "https://queue.fal.run/fal-ai/imagen4/preview",
            STUDENT,
            403,
            "endpoint_not_allowed",
        ),
        ("POST", "https://example.org/fal-ai/flux-realism", STUDENT, 403, "host_not_allowed"),
        # not a fal host, not the upstream
        ("GET", f"{proxy.url}/_proxy/health", STUDENT, 403, "host_not_allowed"),
    ]
    for method, target, token, status, error_type in cases:
        answer = via(proxy, method, target, token=token, json={"prompt": "x"})
        assert answer.status_code == status, (target, answer.text)
        assert answer.json()["error_type"] == error_type
    no_token = httpx.post(
        proxy.url, headers={"x-fal-target-url": f"https://queue.fal.run/{IMAGE}"}, json={}
    )
    assert (no_token.status_code, no_token.json()["error_type"]) == (401, "missing_token")
    assert _submissions(local_server) == before  # the server's own counter did not move
    body = via(proxy, "POST", f"https://queue.fal.run/{IMAGE}", json={"prompt": "mine"}).json()
    assert via(proxy, "GET", body["status_url"], token=OTHER).status_code == 403


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_the_cli_serves_a_class(local_server: Any, tmp_path: Path) -> None:
    tokens = tmp_path / "tokens.txt"
    made = subprocess.run(
        [sys.executable, "-m", "falwidgets", "proxy", "--tokens-new", "3"],
        capture_output=True,
        text=True,
        check=True,
        timeout=60,
    ).stdout.split()
    tokens.write_text("".join(f"{t}  # seat {i}\n" for i, t in enumerate(made)))
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAL_KEY")}
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "falwidgets",
            "proxy",
            "--tokens",
            str(tokens),
            "--upstream",
            local_server.url,
            "--port",
            str(port),
            "--budget",
            "1",
            "--allow",
            IMAGE,
        ],
        env=env,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        url = f"http://127.0.0.1:{port}"

        def healthy() -> bool:
            assert process.poll() is None, process.stderr.read() if process.stderr else ""
            try:
                return httpx.get(f"{url}/_proxy/health").status_code == 200
            except httpx.TransportError:
                return False

        wait_until(healthy, 30, "the proxy CLI to answer /_proxy/health")
        headers = {
            # a query the upstream gets, and no log line may keep
            "x-fal-target-url": f"https://queue.fal.run/{IMAGE}?fal_max_queue_length=4242",
            "authorization": f"Key {made[1]}",
        }
        assert httpx.post(url, headers=headers, json={"prompt": "a"}).status_code == 200
        over = httpx.post(url, headers=headers, json={"prompt": "b"})
        assert over.status_code == 429 and "retry-after" in over.headers
    finally:
        process.terminate()  # SIGTERM, as a service manager stops it
        _, err = process.communicate(timeout=30)
    assert process.returncode == 0, err
    assert "seat 1 POST submit fal-ai/flux-realism -> 200" in err
    assert "seat 1 POST submit fal-ai/flux-realism -> 429 refused" in err
    # the usage summary is printed on SIGTERM too, for the seats that were used
    assert "usage seat 1: 1 submissions; calls submit=2; refused 429=1" in err
    assert "usage seat 0" not in err
    # httpx's request line names the upstream, without the query
    assert f'POST {local_server.url}/{IMAGE} "HTTP/1.1 200 OK"' in err
    assert "4242" not in err
    assert all(token not in err for token in made)


def test_falwidgets_client_through_the_proxy(proxy: ProxyServer) -> None:
    import falwidgets

    client = falwidgets.Client(proxy_url=f"{proxy.url}/t/{STUDENT}")
    handle = client.submit(IMAGE, {"prompt": "client", "seed": 3})
    assert handle.result(timeout=30)["images"][0]["width"] > 0
    assert client.run(IMAGE, {"prompt": "run", "seed": 4})["seed"] == 4
    url = client.upload(
        b"\x89PNG\r\n\x1a\n" + b"1" * 32, content_type="image/png", file_name="a.png"
    )
    assert httpx.get(url).content.endswith(b"1" * 32)
    slow = client.submit(IMAGE, {"prompt": "cancel me", "num_inference_steps": 50})
    slow.cancel()
    with pytest.raises(falwidgets.FalError) as refused:
        client.submit("fal-ai/imagen4/preview", {"prompt": "not allowed"})
    assert "not allowed" in str(refused.value)
    usage = proxy.usage()["student-1"]
    assert usage["calls"]["storage"] >= 1 and usage["refused"].get("403", 0) >= 1


def test_async_client_through_the_proxy(proxy: ProxyServer) -> None:
    import asyncio

    import falwidgets

    async def main() -> list[dict[str, Any]]:
        client = falwidgets.AsyncClient(proxy_url=f"{proxy.url}/t/{OTHER}")
        handles = [
            await client.submit(IMAGE, {"prompt": f"async {i}", "seed": i}) for i in range(3)
        ]
        return await asyncio.gather(*(h.result(timeout=30) for h in handles))

    assert [r["seed"] for r in run_coroutine(main())] == [0, 1, 2]


def test_app_runner_through_the_proxy(proxy: ProxyServer) -> None:
    import asyncio

    import falwidgets

    client = falwidgets.AsyncClient(proxy_url=f"{proxy.url}/t/{STUDENT}")
    allowed = falwidgets.app(IMAGE, client=client, timeout=30)
    refused = falwidgets.app("fal-ai/imagen4/preview", client=client, timeout=30)

    async def click_both() -> None:
        allowed.form.value = {**allowed.form.value, "prompt": "workshop", "num_inference_steps": 2}
        allowed.handle_message({"type": "run"}, [])  # the Run click
        refused.form.value = {**refused.form.value, "prompt": "not here"}
        refused.handle_message({"type": "run"}, [])
        await asyncio.wait_for(asyncio.gather(allowed.wait_async(), refused.wait_async()), 60)

    run_coroutine(click_both())
    assert allowed.last.state == "done" and allowed.last.output["images"]
    assert refused.last.state == "failed"
    shown = " ".join(str(refused.banner.get(k) or "") for k in ("title", "detail"))
    assert "not allowed" in shown, refused.banner  # the proxy's reason, shown in the widget


def test_over_rate_is_refused_before_the_server(local_server: Any) -> None:
    with serve_proxy(
        {STUDENT: "student-1"}, upstream=local_server.url, allow=[IMAGE], rate_per_min=1
    ) as limited:
        before = _submissions(local_server)
        target = f"https://queue.fal.run/{IMAGE}"
        assert via(limited, "POST", target, json={"prompt": "one"}).status_code == 200
        assert _submissions(local_server) == before + 1
        over = via(limited, "POST", target, json={"prompt": "two"})
        assert (over.status_code, over.json()["error_type"]) == (429, "rate_limited")
        assert 1 <= int(over.headers["retry-after"]) <= 60
        assert _submissions(local_server) == before + 1


def test_the_readme_student_snippet(proxy: ProxyServer) -> None:
    """README "Running a workshop": the token as ``key=``, the proxy's bare URL, then ``app()``."""
    import asyncio

    import falwidgets

    client = falwidgets.AsyncClient(key=STUDENT, proxy_url=proxy.url)
    runner = falwidgets.app(IMAGE, client=client)

    async def click() -> None:
        runner.form.value = {**runner.form.value, "prompt": "readme", "num_inference_steps": 2}
        runner.handle_message({"type": "run"}, [])  # the Run click
        await asyncio.wait_for(runner.wait_async(), 60)

    run_coroutine(click())
    assert runner.last.state == "done", runner.banner
    assert runner.last.output["images"][0]["url"]
    assert STUDENT not in repr(client)
    with falwidgets.Client(key=STUDENT, proxy_url=proxy.url) as sync:
        assert sync.run(IMAGE, {"prompt": "sync", "seed": 5})["seed"] == 5
    stranger = falwidgets.Client(key="fwt_not_a_student_00", proxy_url=proxy.url)
    with stranger, pytest.raises(falwidgets.FalError) as refused:
        stranger.submit(IMAGE, {"prompt": "x"})
    assert refused.value.status_code == 401
