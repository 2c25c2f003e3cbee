"""fal wire shapes: status objects, URLs, error bodies (fal-protocol.md sections 3-7, 14)."""

from __future__ import annotations

import json
from typing import Any

from starlette.responses import JSONResponse, Response

from falwidgets.server._jobs import Job

TRUE_VALUES = {"1", "true", "yes", "on"}
FALSE_VALUES = {"0", "false", "no", "off", ""}


def parse_flag(value: str | None) -> bool | None:
    """`logs=1|0|true|false` (the JS client sends digits, fal_client Python bools); None if bad."""
    if value is None:
        return False
    lowered = value.strip().lower()
    if lowered in TRUE_VALUES:
        return True
    if lowered in FALSE_VALUES:
        return False
    return None


def request_urls(base_url: str, job: Job) -> dict[str, str]:
    """Absolute URLs under `[namespace/]owner/app`, as queue.fal.run returns them."""
    root = f"{base_url}/{job.queue_prefix}/requests/{job.request_id}"
    return {"response_url": root, "status_url": f"{root}/status", "cancel_url": f"{root}/cancel"}


def status_body(
    base_url: str, job: Job, *, position: int, logs: list[dict[str, Any]] | None
) -> dict[str, Any]:
    body: dict[str, Any] = {"status": job.state, "request_id": job.request_id}
    body.update(request_urls(base_url, job))
    if job.state == "IN_QUEUE":
        body["queue_position"] = position
    body["logs"] = logs
    if job.state == "COMPLETED":
        body["metrics"] = job.metrics
        if job.error:
            body["error"] = job.error
            body["error_type"] = job.error_type
    return body


def json_response(
    body: Any, status: int = 200, *, request_id: str | None = None, **headers: str
) -> Response:
    out = {k.replace("_", "-"): v for k, v in headers.items()}
    if request_id:
        out["x-fal-request-id"] = request_id
    return JSONResponse(body, status_code=status, headers=out)


def error_response(
    status: int, detail: Any, error_type: str | None = None, *, request_id: str | None = None
) -> Response:
    """`{"detail", "error_type"}` plus `X-Fal-Error-Type` (fal's infrastructure error shape)."""
    body: dict[str, Any] = {"detail": detail}
    headers: dict[str, str] = {}
    if error_type:
        body["error_type"] = error_type
        headers["x_fal_error_type"] = error_type
    return json_response(body, status, request_id=request_id, **headers)


def sse(data: Any) -> bytes:
    return f"data: {json.dumps(data)}\n\n".encode()


PING = b": ping\n\n"
