"""Multipart upload parts and completion, shared by the CDN (`v3.fal.media`) and storage
(`rest.fal.ai`, the JS client's spelling) routers: one upload id works through either."""

from __future__ import annotations

import asyncio
import uuid

from starlette.requests import Request
from starlette.responses import Response

from falwidgets.server._http import parse_json_body, spool_upload
from falwidgets.server._protocol import error_response, json_response
from falwidgets.server._state import ServerState

MAX_PARTS = 10000  # as S3 and fal's CDN


async def put_part(state: ServerState, request: Request, upload_id: str, number: str) -> Response:
    """Store part `number` of an upload; answers its ETag, as S3 does."""
    if not number.isdigit() or not 1 <= int(number) <= MAX_PARTS:
        return error_response(400, f"bad part number {number!r}", "bad_request")
    try:
        folder = state.storage.multipart_dir(upload_id)
        state.storage.multipart_target(upload_id)
    except KeyError:
        return json_response({"detail": "Unknown upload id"}, 404)
    tmp = folder / f".part-{int(number)}.{uuid.uuid4().hex}"
    size, problem = await spool_upload(request, tmp)
    if problem is not None:
        return problem
    tmp.replace(folder / f"part-{int(number)}.bin")
    etag = f'"{upload_id[:8]}-{int(number)}-{size}"'
    return json_response({"partNumber": int(number), "etag": etag}, etag=etag)


async def complete_parts(state: ServerState, request: Request, upload_id: str) -> Response:
    """Join the parts (those listed in the body, else all) into the file; its URL."""
    body, problem = await parse_json_body(request)
    if problem is not None:
        return problem
    numbers = None
    if isinstance(body, dict) and isinstance(body.get("parts"), list):
        try:
            numbers = [int(p["partNumber"]) for p in body["parts"]]
        except (KeyError, TypeError, ValueError):
            return error_response(400, "parts must be [{partNumber, etag}]", "bad_request")
    try:
        stored = await asyncio.to_thread(state.storage.finish_multipart, upload_id, numbers)
    except KeyError:
        return json_response({"detail": "Unknown upload id"}, 404)
    except ValueError as exc:
        return error_response(400, str(exc), "bad_request")
    url = state.outward(request, stored.url)
    return json_response({"access_url": url, "file_url": url})
