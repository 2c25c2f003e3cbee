"""The offline workshop room on two hosts: a teacher laptop and a student laptop, no internet.

Two network namespaces joined by a veth pair stand for the two machines (private test addresses
10.231.0.1/30 and 10.231.0.2/30 exist only inside them). The teacher runs the local server on all
interfaces and the workshop proxy in front of it on a loopback upstream; the student, who can
reach only 10.231.0.1, uploads a file, runs an endpoint on it, fetches the result's media, and
lists the request history, all through the proxy. Skipped only where namespaces cannot be made.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

import falwidgets

PY = sys.executable
SRC = str(Path(falwidgets.__file__).resolve().parents[1])
TEACHER_IP, STUDENT_IP = "10.231.0.1", "10.231.0.2"
TOKEN = "fwt_workshop_room_token_01"
ENDPOINT = "workshop/mirror"

TEACHER = textwrap.dedent(f"""
    import json, sys
    from pydantic import BaseModel
    from falwidgets.server import endpoint, serve
    from falwidgets.proxy import serve_proxy

    class MirrorIn(BaseModel):
        image_url: str

    @endpoint({ENDPOINT!r}, input=MirrorIn)
    def mirror(inp, ctx):
        data = ctx.fetch(inp.image_url, "image_url")
        return {{"image": ctx.save(data[::-1], "mirror.bin", "application/octet-stream"),
                 "size": len(data)}}

    server = serve(host="0.0.0.0", port=0, speed=0.05)
    proxy = serve_proxy([{TOKEN!r}], upstream=server.url, host="0.0.0.0", port=0)
    print(json.dumps({{"server": server.url, "proxy_port": proxy.url.rsplit(":", 1)[1]}}),
          flush=True)
    sys.stdin.read()  # until the test closes our stdin
    proxy.stop()
    server.stop()
""")

STUDENT = textwrap.dedent(f"""
    import json, sys
    import httpx
    from falwidgets import Client

    proxy, upstream = sys.argv[1], sys.argv[2]
    out = {{}}
    try:
        httpx.get(upstream + "/health", timeout=2)
        out["upstream_reachable"] = True
    except httpx.HTTPError:
        out["upstream_reachable"] = False  # the teacher's loopback is not the student's
    with Client(key={TOKEN!r}, proxy_url=proxy, journal=False) as client:
        payload = bytes(range(256)) * 4
        url = client.upload(payload, "application/octet-stream", "in.bin")
        out["upload_url"] = url
        out["upload_fetch"] = httpx.get(url, timeout=10).content == payload
        result = client.subscribe({ENDPOINT!r}, {{"image_url": url}}, timeout=60)
        out["result"] = result
        media = httpx.get(result["image"]["url"], timeout=10)
        out["media_ok"] = media.status_code == 200 and media.content == payload[::-1]
        out["history"] = [
            {{"input": r.json_input, "output": r.json_output}}
            for r in client.requests({ENDPOINT!r}, payloads=True)
        ]
    print(json.dumps(out))
""")


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, timeout=30)


@pytest.fixture
def room() -> Iterator[tuple[str, str]]:
    """(teacher namespace, student namespace), joined by a veth pair; removed afterwards."""
    if shutil.which("ip") is None or os.geteuid() != 0:
        pytest.skip("network namespaces need root and iproute2 (`ip netns add`)")
    tag = uuid.uuid4().hex[:6]
    teacher, student = f"fwteach-{tag}", f"fwstud-{tag}"
    made: list[str] = []
    try:
        try:
            _ip("netns", "add", teacher)
        except subprocess.CalledProcessError as error:
            pytest.skip(f"this machine cannot create network namespaces: {error.stderr!r}")
        made.append(teacher)
        _ip("netns", "add", student)
        made.append(student)
        _ip("link", "add", f"fwa{tag}", "type", "veth", "peer", "name", f"fwb{tag}")
        _ip("link", "set", f"fwa{tag}", "netns", teacher)
        _ip("link", "set", f"fwb{tag}", "netns", student)
        for ns, dev, address in (
            (teacher, f"fwa{tag}", TEACHER_IP),
            (student, f"fwb{tag}", STUDENT_IP),
        ):
            _ip("-n", ns, "addr", "add", f"{address}/30", "dev", dev)
            _ip("-n", ns, "link", "set", dev, "up")
            _ip("-n", ns, "link", "set", "lo", "up")
        yield teacher, student
    finally:
        for ns in reversed(made):  # deleting a namespace removes its end of the veth pair
            subprocess.run(["ip", "netns", "del", ns], capture_output=True, timeout=30)


def _env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("FAL_KEY")}
    env["PYTHONPATH"] = SRC + os.pathsep + env.get("PYTHONPATH", "")
    env["FALWIDGETS_HOME"] = str(home)
    for name in ("HTTP_PROXY", "HTTPS_PROXY", "ALL_PROXY", "http_proxy", "https_proxy"):
        env.pop(name, None)
    env["NO_PROXY"] = "*"
    return env


def test_a_student_on_another_machine_uploads_runs_and_previews(
    room: tuple[str, str], tmp_path: Path
) -> None:
    teacher_ns, student_ns = room
    teacher = subprocess.Popen(
        ["ip", "netns", "exec", teacher_ns, PY, "-c", TEACHER],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=_env(tmp_path / "teacher"),
    )
    try:
        line = teacher.stdout.readline() if teacher.stdout else ""  # printed once both listen
        assert line, (teacher.stderr.read() if teacher.stderr else "")[-3000:]
        started = json.loads(line)
        proxy = f"http://{TEACHER_IP}:{started['proxy_port']}"
        student = subprocess.run(
            ["ip", "netns", "exec", student_ns, PY, "-c", STUDENT, proxy, started["server"]],
            capture_output=True,
            text=True,
            timeout=180,
            env=_env(tmp_path / "student"),
        )
        assert student.returncode == 0, student.stderr[-3000:]
        seen = json.loads(student.stdout.strip().splitlines()[-1])
    finally:
        if teacher.stdin:
            teacher.stdin.close()
        try:
            teacher.wait(timeout=30)
        except subprocess.TimeoutExpired:
            teacher.kill()
            teacher.wait(timeout=10)
    assert seen["upstream_reachable"] is False  # the two hosts really are apart
    assert seen["upload_url"].startswith(f"{proxy}/files/"), seen["upload_url"]
    assert seen["upload_fetch"] is True
    assert seen["result"]["size"] == 1024
    assert seen["result"]["image"]["url"].startswith(f"{proxy}/files/")
    assert seen["media_ok"] is True  # the preview's bytes arrive on the student's machine
    assert "127.0.0.1" not in json.dumps(seen["result"])
    (listed,) = seen["history"]  # the run is in the history, with input and output
    assert listed["input"] == {"image_url": seen["upload_url"]}
    assert listed["output"]["image"]["url"] == seen["result"]["image"]["url"]
