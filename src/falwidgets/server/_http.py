"""Request reading and the refusals every router shares (404s, 413, 422, 499).

Bodies are read with a hard limit (`falwidgets._asgi.read_body`) or spooled to disk for uploads,
so a caller can neither fill memory nor leave a `.part` file behind.
"""

from __future__ import annotations

import difflib
from pathlib import Path
from typing import Any

from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response

from falwidgets._asgi import BodyTooLarge, read_body
from falwidgets.server._json import BadJson, loads_strict
from falwidgets.server._protocol import error_response, json_response
from falwidgets.server._registry import endpoints

MAX_JSON_BODY = 64 * 1024 * 1024  # data URIs travel inside JSON bodies
MAX_UPLOAD_BODY = 110 * 1024 * 1024  # fal's single-request CDN limit is 100 MiB


def too_large(limit: int) -> Response:
    return error_response(413, f"Request body too large (limit {limit} bytes)", "bad_request")


def client_gone() -> Response:
    """The answer to a caller that left mid-body (nobody reads it; it only avoids a traceback)."""
    return error_response(499, "Client disconnected", "client_disconnected")


def not_found(path: str) -> Response:
    """fal's answer to a path it does not serve (no billing)."""
    return json_response(
        {"detail": f"Path /{path.strip('/')} not found"}, 404, x_fal_billable_units="0"
    )


def unknown_endpoint(path: str) -> Response:
    return json_response({"detail": unknown_endpoint_detail(path)}, 404, x_fal_billable_units="0")


def unknown_endpoint_detail(path: str) -> str:
    """The 404 text for a path no endpoint serves: the closest served ids (a typo is the usual
    cause), else the whole list, so the caller learns what to type instead of only "not found"."""
    served = sorted(endpoints())
    wanted = path.strip("/")
    parts = [p for p in wanted.split("/") if p]
    # compare like with like: a served id against the same number of leading path segments
    close: dict[str, float] = {}
    for eid in served:
        head = "/".join(parts[: eid.count("/") + 1])
        score = difflib.SequenceMatcher(None, head.lower(), eid.lower()).ratio()
        if score >= 0.6:
            close[eid] = score
    best = sorted(close, key=lambda eid: -close[eid])[:3]
    head = f"No endpoint {wanted!r} on this server"
    if best:
        return f"{head}; did you mean {' or '.join(best)}?"
    return f"{head}; it serves: {', '.join(served) or 'nothing'}"


def bad_logs_flag(request: Request) -> Response:
    value = request.query_params.get("logs")
    detail = [
        {
            "loc": ["query", "logs"],
            "msg": f"logs must be 1, 0, true or false, got {value!r}",
            "type": "bool_parsing",
        }
    ]
    return json_response({"detail": detail}, 422)


async def parse_json_body(request: Request) -> tuple[Any, Response | None]:
    """The JSON body (`{}` when empty), or the refusal to send instead (413, 422, 499)."""
    try:
        raw = await read_body(request, MAX_JSON_BODY)
    except BodyTooLarge:
        return None, too_large(MAX_JSON_BODY)
    except ClientDisconnect:
        return None, client_gone()
    if not raw.strip():
        return {}, None
    try:
        return loads_strict(raw), None
    except BadJson as exc:
        detail = [{"loc": ["body"], "msg": f"Invalid JSON: {exc}", "type": "json_invalid"}]
        return None, json_response({"detail": detail}, 422)


async def stream_to_file(request: Request, path: Path, limit: int) -> int:
    """Spool a request body to disk in chunks (uploads never sit in memory); on any failure
    (too large, client gone) the partial file is removed, so no `.part` file is left behind."""
    size = 0
    try:
        with open(path, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge(limit)
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return size


async def spool_upload(request: Request, tmp: Path) -> tuple[int, Response | None]:
    """Stream an upload to `tmp`: its size, or the refusal when it is too large or cut off."""
    try:
        return await stream_to_file(request, tmp, MAX_UPLOAD_BODY), None
    except BodyTooLarge:
        return 0, too_large(MAX_UPLOAD_BODY)
    except ClientDisconnect:
        return 0, client_gone()
