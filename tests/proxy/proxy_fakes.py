"""A recording fake of fal's hosts (httpx.MockTransport) and a helper to call through a proxy."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass, field

import httpx

KEY = "fal-key-id:fal-key-SECRET-sentinel"
ALICE, BOB = "fwt_alice_token_0001", "fwt_bob_token_000002"


@dataclass
class FakeFal:
    """Answers like fal's hosts and remembers every request it saw."""

    seen: list[httpx.Request] = field(default_factory=list)
    bodies: list[bytes] = field(default_factory=list)

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.seen.append(request)
        self.bodies.append(request.read())
        path = request.url.path
        if path.endswith("/always-500"):
            return httpx.Response(500, json={"detail": "Internal Server Error"})
        if path.endswith("/read-timeout"):  # sent, then no answer: fal may have accepted it
            raise httpx.ReadTimeout("no answer", request=request)
        if path.endswith("/unreachable"):  # nothing was sent
            raise httpx.ConnectError("refused", request=request)
        if path.endswith("/crash"):  # not an HTTP error at all: a bug somewhere below the proxy
            raise RuntimeError("unexpected")
        if path == "/storage/auth/token":
            return httpx.Response(
                200,
                json={"token": "cdn-token", "token_type": "Bearer", "expires_at": 4102444800},
            )
        if path.startswith("/files/upload"):
            return httpx.Response(200, json={"access_url": "https://v3.fal.media/files/x/y.bin"})
        if path.startswith("/storage/") or path.startswith("/tokens"):
            return httpx.Response(200, json={"upload_url": "u", "file_url": "f"})
        if path.endswith("/status/stream"):
            events = b'data: {"status": "IN_QUEUE"}\n\n: ping\n\ndata: {"status": "COMPLETED"}\n\n'
            return httpx.Response(
                200, content=events, headers={"content-type": "text/event-stream"}
            )
        if "/requests/" in path:
            return httpx.Response(200, json={"status": "COMPLETED", "path": path})
        if request.method == "POST":
            rid = str(uuid.uuid4())
            base = f"{request.url.scheme}://{request.url.host}/" + "/".join(path.split("/")[1:3])
            return httpx.Response(
                200,
                json={"request_id": rid, "status_url": f"{base}/requests/{rid}/status"},
                headers={"x-fal-request-id": rid},
            )
        return httpx.Response(404, json={"detail": "nope"})

    def last_json(self) -> dict[str, object]:
        return json.loads(self.bodies[-1])


def call(
    client: httpx.Client,
    method: str,
    target: str,
    *,
    token: str | None = ALICE,
    json_body: object = None,
    headers: dict[str, str] | None = None,
    content: bytes | None = None,
) -> httpx.Response:
    """One proxied call: the real URL in ``x-fal-target-url``, the student token as ``Key``."""
    sent = {"x-fal-target-url": target, **(headers or {})}
    if token is not None:
        sent.setdefault("authorization", f"Key {token}")
    return client.request(method, "/api/fal/proxy", headers=sent, json=json_body, content=content)
