"""The Starlette app: queue, run/stream, storage, files, metrics (fal-protocol.md section 22).

Every route answers from in-memory job state under one lock, so status calls stay fast while worker
threads do the work. Routes are matched by hand below the fixed ones because endpoint ids contain
slashes and status/result/cancel must work under both `owner/app` and the full endpoint id.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import logging
import time
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import FileResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from falwidgets.server._faults import Faults
from falwidgets.server._jobs import Job, JobQueue
from falwidgets.server._json import BadJson, loads_strict
from falwidgets.server._limits import check_limits
from falwidgets.server._metrics import Metrics
from falwidgets.server._platform import platform_routes
from falwidgets.server._protocol import (
    PING,
    error_response,
    json_response,
    parse_flag,
    request_urls,
    sse,
    status_body,
)
from falwidgets.server._registry import EndpointDef, endpoints, lookup
from falwidgets.server._storage import Storage, safe_name
from falwidgets.server._urls import rebase, request_base
from falwidgets.server._validation import validate_input

_timeout = getattr(asyncio, "timeout", None)  # Python >= 3.11

log = logging.getLogger("falwidgets.server")

MAX_JSON_BODY = 64 * 1024 * 1024  # data URIs travel inside JSON bodies
MAX_UPLOAD_BODY = 110 * 1024 * 1024  # fal's single-request CDN limit is 100 MiB
MAX_START_TIMEOUT = 24 * 3600.0  # X-Fal-Request-Timeout: a day; longer waits are typos or inf
RUN_PREFIX = "run"  # `fal.run` is served under <base>/run/ (the queue at <base>/)


class BodyTooLarge(Exception):
    pass


@dataclass
class ServerState:
    """Everything the routes share; owned by `Server`."""

    storage: Storage
    queue: JobQueue
    metrics: Metrics
    faults: Faults
    speed: float = 1.0
    ping_interval: float = 15.0
    from_host: bool = False  # rebase responses onto the request's Host (non-loopback binding)
    submissions: dict[str, int] = field(default_factory=dict)
    submission_endpoints: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """The canonical base every stored URL is issued under (see `_urls`)."""
        return self.storage.base_url

    def base_for(self, request: Request) -> str:
        return request_base(request, self.base_url, from_host=self.from_host)

    def outward(self, request: Request, value: Any) -> Any:
        """Stored JSON as this request should see it (URLs on the base it came in on)."""
        return rebase(value, self.base_url, self.base_for(request))


async def wait_set(event: asyncio.Event, timeout: float) -> bool:
    """Whether ``event`` was set within ``timeout`` s. Python 3.11's ``asyncio.timeout`` spares
    the task that ``wait_for`` makes for every wait (one per SSE stream per change)."""
    if event.is_set():
        return True
    try:
        if _timeout is not None:
            async with _timeout(timeout):
                await event.wait()
        else:  # pragma: no cover - Python 3.10
            await asyncio.wait_for(event.wait(), timeout)
    except asyncio.TimeoutError:
        return False
    return True


def submission_digest(endpoint_id: str, arguments: Any) -> str:
    """Identity of one submission's content, to count duplicates of the same user action."""
    canonical = json.dumps([endpoint_id.strip("/"), arguments], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


async def read_body(request: Request, limit: int) -> bytes:
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit:
        raise BodyTooLarge
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLarge
        chunks.append(chunk)
    return b"".join(chunks)


async def stream_to_file(request: Request, path: Path, limit: int) -> int:
    """Spool a request body to disk in chunks (uploads never sit in memory); on any failure
    (too large, client gone) the partial file is removed, so no `.part` file is left behind."""
    size = 0
    try:
        with open(path, "wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    raise BodyTooLarge
                out.write(chunk)
    except BaseException:
        path.unlink(missing_ok=True)
        raise
    return size


def unknown_endpoint_detail(path: str) -> str:
    """The 404 text for a path no endpoint serves: the closest served ids (a typo is the usual
    cause), else the whole list, so the caller learns what to type instead of only "not found"."""
    import difflib

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


def too_large(limit: int) -> Response:
    return error_response(413, f"Request body too large (limit {limit} bytes)", "bad_request")


def client_gone() -> Response:
    """The answer to a caller that left mid-body (nobody reads it; it only avoids a traceback)."""
    return error_response(499, "Client disconnected", "client_disconnected")


async def spool_upload(request: Request, tmp: Path) -> tuple[int, Response | None]:
    """Stream an upload to `tmp`: its size, or the refusal when it is too large or cut off."""
    try:
        return await stream_to_file(request, tmp, MAX_UPLOAD_BODY), None
    except BodyTooLarge:
        return 0, too_large(MAX_UPLOAD_BODY)
    except ClientDisconnect:
        return 0, client_gone()


def build_app(state: ServerState) -> Starlette:
    """The ASGI app for one server."""

    # -- queue ----------------------------------------------------------------------------------
    async def parse_json_body(request: Request) -> tuple[Any, Response | None]:
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

    def start_timeout(request: Request) -> tuple[float | None, Response | None]:
        """X-Fal-Request-Timeout, finite and bounded: inf or 1e400 would break the expirer."""
        raw = request.headers.get("x-fal-request-timeout")
        if raw is None:
            return None, None
        try:
            value = float(raw)
            if not 0 < value <= MAX_START_TIMEOUT:  # also refuses NaN and inf
                raise ValueError
        except ValueError:
            return None, error_response(
                400,
                "X-Fal-Request-Timeout must be a positive number of seconds up to "
                f"{MAX_START_TIMEOUT:.0f}, got {raw!r}",
                "bad_request",
            )
        return value, None

    async def accept(
        request: Request, definition: EndpointDef, endpoint_id: str, *, visible: bool
    ) -> Job | Response:
        """Validate and enqueue; refusals never reach the queue."""
        arguments, problem = await parse_json_body(request)
        if problem is not None:
            state.metrics.inc("falwidgets_rejections_total", endpoint=definition.endpoint_id)
            return problem
        # input URLs on this server arrive on the caller's base; jobs read them on the canonical one
        arguments = rebase(arguments, state.base_for(request), state.base_url)
        timeout, problem = start_timeout(request)
        if problem is not None:
            return problem
        priority = (request.headers.get("x-fal-queue-priority") or "normal").strip().lower()
        if priority not in ("normal", "low"):
            return error_response(
                400, f"X-Fal-Queue-Priority must be normal or low, got {priority!r}", "bad_request"
            )
        no_retry = parse_flag(request.headers.get("x-fal-no-retry")) is True
        inp, detail = validate_input(definition.input, arguments)
        if detail is None:
            detail = check_limits(definition.endpoint_id, inp)
        if detail is not None:
            state.metrics.inc("falwidgets_rejections_total", endpoint=definition.endpoint_id)
            return json_response({"detail": detail}, 422, x_fal_billable_units="0")
        webhook = request.query_params.get("fal_webhook") if visible else None
        if webhook is not None and not webhook.startswith(("http://", "https://")):
            return error_response(400, "fal_webhook must be an http(s) URL", "bad_request")
        max_len = request.query_params.get("fal_max_queue_length")
        if max_len is not None:
            if not max_len.isdigit():
                return error_response(400, "fal_max_queue_length must be an integer", "bad_request")
            waiting = state.queue.depth().get(endpoint_id, 0)
            if waiting >= int(max_len):
                state.metrics.inc("falwidgets_rejections_total", endpoint=definition.endpoint_id)
                return error_response(429, "Queue is full", "queue_full")
        job = state.queue.submit(
            definition,
            endpoint_id,
            arguments,
            inp,
            webhook_url=webhook,
            start_timeout=timeout,
            visible=visible,
            base_url=state.base_for(request),
            priority=priority,
            no_retry=no_retry,
        )
        if visible:
            digest = submission_digest(endpoint_id, arguments)
            with state.queue.lock:
                state.submissions[digest] = state.submissions.get(digest, 0) + 1
                state.submission_endpoints[digest] = endpoint_id
            state.metrics.inc("falwidgets_submissions_total", endpoint=definition.endpoint_id)
        else:
            state.metrics.inc("falwidgets_runs_total", endpoint=definition.endpoint_id)
        return job

    async def submit(request: Request, path: str) -> Response:
        found = lookup(path)
        if found is None:
            return unknown_endpoint(path)
        definition, rest = found
        if rest:  # `owner/app/typo`: no such endpoint here (as on the run host), never queued
            return unknown_endpoint(path)
        accepted = await accept(request, definition, path.strip("/"), visible=True)
        if isinstance(accepted, Response):
            return accepted
        body = {
            "status": "IN_QUEUE",
            "request_id": accepted.request_id,
            **request_urls(state.base_for(request), accepted),
            "queue_position": state.queue.position(accepted),
            "gateway_request_id": accepted.request_id,
        }
        return json_response(body, 200, request_id=accepted.request_id)

    def find_job(prefix: str, request_id: str) -> Job | None:
        job = state.queue.get(request_id)
        if job is None or not job.visible:  # run/stream jobs belong to their caller alone
            return None
        prefix = prefix.strip("/")
        # owner/app (what submit returns) or the full endpoint id (what OpenAPI documents list)
        if prefix not in (job.queue_prefix, job.endpoint_id) and not job.endpoint_id.startswith(
            prefix + "/"
        ):
            return None
        return job

    def snapshot(
        job: Job, with_logs: bool, base: str, log_start: int = 0
    ) -> tuple[dict[str, Any], int]:
        position = state.queue.position(job) if job.state == "IN_QUEUE" else 0
        with state.queue.lock:
            logs = list(job.logs[log_start:]) if with_logs else None
            body = status_body(base, job, position=position, logs=logs)
            return body, len(job.logs)

    async def status(request: Request, job: Job) -> Response:
        with_logs = parse_flag(request.query_params.get("logs"))
        if with_logs is None:
            return bad_logs_flag(request)
        body, _ = snapshot(job, with_logs, state.base_for(request))
        code = 200 if body["status"] == "COMPLETED" else 202
        return json_response(body, code, request_id=job.request_id)

    async def status_stream(request: Request, job: Job, *, cut: bool) -> Response:
        with_logs = parse_flag(request.query_params.get("logs"))
        if with_logs is None:
            return bad_logs_flag(request)

        base = state.base_for(request)

        async def events() -> AsyncIterator[bytes]:
            sent_logs = 0
            last_key: tuple[Any, ...] | None = None
            last_ping = time.monotonic()
            while True:
                changed = state.queue.watch(job)  # before the snapshot: no change is missed
                try:
                    body, total_logs = snapshot(job, with_logs, base, sent_logs)
                    key = (
                        body["status"],
                        body.get("queue_position"),
                        total_logs if with_logs else 0,
                    )
                    if key != last_key:
                        last_key = key
                        if with_logs:
                            sent_logs = total_logs
                        yield sse(body)
                        last_ping = time.monotonic()
                        if cut:
                            return  # fault: the stream ends before COMPLETED
                    if body["status"] == "COMPLETED":
                        return
                    wait = max(0.05, state.ping_interval - (time.monotonic() - last_ping))
                    await wait_set(changed, min(wait, 0.25))
                finally:
                    state.queue.unwatch(job, changed)
                if time.monotonic() - last_ping >= state.ping_interval:
                    yield PING  # keep-alive between events (fal: every 15 s)
                    last_ping = time.monotonic()

        return StreamingResponse(
            events(),
            media_type="text/event-stream",
            headers={"x-fal-request-id": job.request_id, "cache-control": "no-store"},
        )

    def result_response(request: Request, job: Job) -> Response:
        if job.state != "COMPLETED":
            return error_response(
                400,
                f"Request is still {job.state.replace('_', ' ').lower()}",
                "bad_request",
                request_id=job.request_id,
            )
        if job.error:
            headers: dict[str, str] = {"x_fal_billable_units": "0"}
            if isinstance(job.error_body, dict) and "error_type" in job.error_body:
                headers["x_fal_error_type"] = job.error_body["error_type"]
            if job.error_type == "request_timeout":
                headers["x_fal_request_timeout_type"] = "user"
            return json_response(
                state.outward(request, job.error_body),
                job.error_status,
                request_id=job.request_id,
                **headers,
            )
        return json_response(state.outward(request, job.output), 200, request_id=job.request_id)

    async def cancel(job: Job) -> Response:
        outcome = state.queue.cancel(job)
        code = 400 if outcome == "ALREADY_COMPLETED" else 202
        return json_response({"status": outcome}, code, request_id=job.request_id)

    async def queue_route(request: Request) -> Response:
        path = request.path_params["path"]
        if "/requests/" in f"/{path}":
            prefix, _, rest = f"/{path}".partition("/requests/")
            parts = rest.strip("/").split("/")
            job = find_job(prefix, parts[0])
            if job is None:
                return json_response({"status": "NOT_FOUND", "detail": "Request not found"}, 404)
            action = "/".join(parts[1:])
            method = request.method
            if action == "" and method == "GET":
                return result_response(request, job)
            if action == "status" and method == "GET":
                return await status(request, job)
            if action == "status/stream" and method == "GET":
                return await status_stream(
                    request, job, cut=request.scope.get("fal_sse_cut", False)
                )
            if action == "cancel" and method in ("PUT", "POST"):
                return await cancel(job)
            return not_found(path, method)
        if request.method == "POST":
            return await submit(request, path)
        if request.method == "GET" and path.endswith("/openapi.json"):
            found = lookup(path[: -len("/openapi.json")])
            if found and found[0].document and not found[1]:
                return json_response(found[0].document)
        return not_found(path, request.method)

    # -- run and stream (fal.run) ---------------------------------------------------------------
    async def wait_done(request: Request, job: Job) -> bool:
        """Wait for a job; cancel it if the caller goes away (fal: dropping a run cancels it).

        The disconnect check does not block and runs on every pass: a job that logs often wakes
        the wait long before its 0.5 s timeout, so checking only on timeouts would never cancel.
        """
        while not job.done_event.is_set():
            changed = state.queue.watch(job)
            try:
                if await request.is_disconnected():
                    state.queue.cancel(job)
                    return False
                await wait_set(changed, 0.5)
            finally:
                state.queue.unwatch(job, changed)
        return True

    async def run_route(request: Request) -> Response:
        path = request.path_params["path"]
        found = lookup(path)
        if found is None:
            return unknown_endpoint(path)
        definition, rest = found
        accept_header = request.headers.get("accept", "")
        # a streaming endpoint streams unless the caller asks for JSON only
        wants_stream = rest == "stream" or (
            definition.streaming
            and not ("application/json" in accept_header and "event-stream" not in accept_header)
        )
        if rest not in ("", "stream") or (wants_stream and not definition.streaming):
            return not_found(f"{RUN_PREFIX}/{path}", request.method)
        endpoint_id = definition.endpoint_id
        accepted = await accept(request, definition, endpoint_id, visible=False)
        if isinstance(accepted, Response):
            return accepted
        job = accepted
        if wants_stream:
            return StreamingResponse(
                stream_events(request, job, cut=request.scope.get("fal_sse_cut", False)),
                media_type="text/event-stream",
                headers={"x-fal-request-id": job.request_id, "cache-control": "no-store"},
            )
        if not await wait_done(request, job):
            state.queue.forget(job)  # cancelled, maybe still running: dropped when it finishes
            return client_gone()
        response = result_response(request, job)
        state.queue.forget(job)
        return response

    async def stream_events(request: Request, job: Job, *, cut: bool) -> AsyncIterator[bytes]:
        sent = 0
        try:
            while True:
                changed = state.queue.watch(job)
                try:
                    with state.queue.lock:
                        partials = list(job.partials[sent:])
                        done = job.state == "COMPLETED"
                    for partial in partials:
                        yield sse(state.outward(request, partial))
                        sent += 1
                        if cut:
                            state.queue.cancel(job)
                            return
                    if done:
                        if job.error:
                            yield sse(
                                state.outward(request, job.error_body)
                                if isinstance(job.error_body, dict)
                                else {"detail": job.error, "error_type": job.error_type}
                            )
                        elif job.output is not None:
                            yield sse(state.outward(request, job.output))
                        return
                    pinged = not await wait_set(changed, state.ping_interval)
                finally:
                    state.queue.unwatch(job, changed)
                if pinged:
                    yield PING
        finally:
            if job.state != "COMPLETED":
                state.queue.cancel(job)
            state.queue.forget(job)

    # -- storage ---------------------------------------------------------------------------------
    async def token(request: Request) -> Response:
        expires = datetime.now(timezone.utc) + timedelta(hours=1)
        return json_response(
            {
                "token": uuid.uuid4().hex,
                "token_type": "Bearer",
                "base_url": state.base_for(request),
                "expires_at": expires.isoformat(),
            }
        )

    async def realtime_token(request: Request) -> Response:
        return json_response(uuid.uuid4().hex)

    async def cdn_upload(request: Request) -> Response:
        name = request.headers.get("x-fal-file-name")
        content_type = request.headers.get("content-type") or None
        stored = state.storage.reserve(name, content_type)
        tmp = state.storage.open_for_write(stored.file_id, stored.name)
        _, problem = await spool_upload(request, tmp)
        if problem is not None:
            return problem
        stored = state.storage.commit(tmp, stored.file_id, stored.name)
        return json_response(
            {
                "access_url": state.outward(request, stored.url),
                "content_type": stored.content_type,
            }
        )

    async def cdn_multipart_start(request: Request) -> Response:
        upload_id, stored = state.storage.start_multipart(
            request.headers.get("x-fal-file-name"), request.headers.get("content-type")
        )
        return json_response(
            {"access_url": state.outward(request, stored.url), "uploadId": upload_id}
        )

    async def put_part(request: Request, upload_id: str, number: str) -> Response:
        if not number.isdigit() or not 1 <= int(number) <= 10000:
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

    async def complete_parts(request: Request, upload_id: str) -> Response:
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

    async def files_route(request: Request) -> Response:
        parts = request.path_params["path"].strip("/").split("/")
        method = request.method
        if parts == ["upload"] and method == "POST":
            return await cdn_upload(request)
        if parts == ["upload", "multipart"] and method == "POST":
            return await cdn_multipart_start(request)
        if len(parts) == 5 and parts[2] == "multipart" and method == "PUT":
            return await put_part(request, parts[3], parts[4])
        if (
            len(parts) == 5
            and parts[2] == "multipart"
            and parts[4] == "complete"
            and method == "POST"
        ):
            return await complete_parts(request, parts[3])
        if len(parts) == 2 and method in ("GET", "HEAD"):
            stored = state.storage.get(parts[0], parts[1])
            if stored is None:
                return json_response({"detail": "File not found"}, 404)
            return FileResponse(
                stored.path,
                media_type=stored.content_type,
                headers={
                    "cache-control": "public, max-age=3600",
                    "access-control-allow-origin": "*",
                },
            )
        return not_found(f"files/{'/'.join(parts)}", method)

    async def initiate(request: Request) -> Response:
        body, problem = await parse_json_body(request)
        if problem is not None:
            return problem
        body = body if isinstance(body, dict) else {}
        stored = state.storage.reserve_put(body.get("file_name"), body.get("content_type"))
        base = state.base_for(request)
        upload_url = f"{base}/storage/upload/put/{stored.file_id}/{stored.name}"
        return json_response(
            {"upload_url": upload_url, "file_url": state.outward(request, stored.url)}
        )

    async def initiate_put(request: Request) -> Response:
        file_id, name = request.path_params["file_id"], safe_name(request.path_params["name"])
        try:
            tmp = state.storage.claim_put(file_id, name)
        except KeyError:
            return json_response({"detail": "Unknown upload"}, 404)
        except PermissionError as exc:
            return json_response({"detail": f"Upload refused: {exc}"}, 403)
        _, problem = await spool_upload(request, tmp)
        if problem is not None:
            state.storage.release_put(file_id, name)  # the client may try again
            return problem
        state.storage.commit(tmp, file_id, name)
        return Response(status_code=200)

    async def initiate_multipart(request: Request) -> Response:
        body, problem = await parse_json_body(request)
        if problem is not None:
            return problem
        body = body if isinstance(body, dict) else {}
        upload_id, stored = state.storage.start_multipart(
            body.get("file_name"), body.get("content_type")
        )
        upload_url = f"{state.base_for(request)}/storage/upload/multipart/{upload_id}"
        return json_response(
            {"upload_url": upload_url, "file_url": state.outward(request, stored.url)}
        )

    async def js_multipart(request: Request) -> Response:
        upload_id, tail = request.path_params["upload_id"], request.path_params["tail"]
        if tail == "complete" and request.method == "POST":
            return await complete_parts(request, upload_id)
        if request.method == "PUT":
            return await put_part(request, upload_id, tail)
        return not_found(request.url.path, request.method)

    # -- operations ------------------------------------------------------------------------------
    async def metrics(request: Request) -> Response:
        text = state.metrics.render(
            {
                "falwidgets_queue_depth": lambda: (
                    {"": float(sum(state.queue.depth().values()))} | state.queue.depth()
                ),
                "falwidgets_running_jobs": lambda: {"": float(state.queue.running)},
                # open status streams and run calls waiting on a job (a leak shows up here)
                "falwidgets_job_watchers": lambda: {"": float(state.queue.watcher_count())},
            }
        )
        return PlainTextResponse(text, media_type="text/plain; version=0.0.4")

    async def info(request: Request) -> Response:
        base = state.base_for(request)
        return json_response(
            {
                "base_url": base,
                "queue_url": base,
                "run_url": f"{base}/{RUN_PREFIX}",
                "rest_url": base,
                "cdn_url": base,
                "endpoints": sorted(endpoints()),
                "faults": str(state.faults),
                "speed": state.speed,
            }
        )

    async def submissions(request: Request) -> Response:
        with state.queue.lock:
            counts = [
                {"digest": d, "endpoint": state.submission_endpoints[d], "count": n}
                for d, n in state.submissions.items()
            ]
        return json_response(
            {"submissions": counts, "duplicates": [c for c in counts if c["count"] > 1]}
        )

    async def health(request: Request) -> Response:
        return json_response({"ok": True})

    def not_found(path: str, method: str = "POST") -> Response:
        return json_response(
            {"detail": f"Path /{path.strip('/')} not found"}, 404, x_fal_billable_units="0"
        )

    def unknown_endpoint(path: str) -> Response:
        return json_response(
            {"detail": unknown_endpoint_detail(path)}, 404, x_fal_billable_units="0"
        )

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

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        state.queue.loop = asyncio.get_running_loop()
        yield

    routes = [
        Route("/metrics", metrics, methods=["GET"]),
        Route("/health", health, methods=["GET"]),
        Route("/_falwidgets/info", info, methods=["GET"]),
        Route("/_falwidgets/submissions", submissions, methods=["GET"]),
        Route("/storage/auth/token", token, methods=["POST"]),
        Route("/storage/upload/initiate", initiate, methods=["POST"]),
        Route("/storage/upload/initiate-multipart", initiate_multipart, methods=["POST"]),
        Route(
            "/storage/upload/complete-multipart",
            js_multipart_complete_qs(complete_parts),
            methods=["POST"],
        ),
        Route("/storage/upload/put/{file_id}/{name}", initiate_put, methods=["PUT"]),
        Route(
            "/storage/upload/multipart/{upload_id}/{tail}", js_multipart, methods=["PUT", "POST"]
        ),
        Route("/tokens/", realtime_token, methods=["POST"]),
        Route("/files/{path:path}", files_route, methods=["GET", "HEAD", "POST", "PUT"]),
        Route(f"/{RUN_PREFIX}/{{path:path}}", run_route, methods=["POST"]),
        *platform_routes(state),  # /v1/...: fal's platform API (history)
        Route("/{path:path}", queue_route, methods=["GET", "POST", "PUT"]),
    ]
    return Starlette(routes=routes, lifespan=lifespan)


def js_multipart_complete_qs(complete: Any) -> Any:
    """`POST /storage/upload/complete-multipart?upload_id=…` (the proxy allow-list's spelling)."""

    async def handler(request: Request) -> Response:
        upload_id = request.query_params.get("upload_id") or request.query_params.get("uploadId")
        if not upload_id:
            return error_response(400, "upload_id query parameter is required", "bad_request")
        return await complete(request, upload_id)

    return handler
