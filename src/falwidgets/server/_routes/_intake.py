"""What the queue and run routers share: validating and enqueuing a call, and answering a result.

A refused call (bad JSON, bad header, 422 input, full queue) never reaches the queue.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from falwidgets.server._http import parse_json_body
from falwidgets.server._jobs import Job
from falwidgets.server._limits import check_limits
from falwidgets.server._protocol import error_response, json_response, parse_flag
from falwidgets.server._registry import EndpointDef
from falwidgets.server._state import ServerState
from falwidgets.server._urls import rebase
from falwidgets.server._validation import validate_input

MAX_START_TIMEOUT = 24 * 3600.0  # X-Fal-Request-Timeout: a day; longer waits are typos or inf


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


def _priority(request: Request) -> tuple[str, Response | None]:
    priority = (request.headers.get("x-fal-queue-priority") or "normal").strip().lower()
    if priority not in ("normal", "low"):
        return priority, error_response(
            400, f"X-Fal-Queue-Priority must be normal or low, got {priority!r}", "bad_request"
        )
    return priority, None


def _queue_options(
    state: ServerState, request: Request, endpoint_id: str, *, visible: bool
) -> tuple[str | None, Response | None]:
    """`fal_webhook` (queue submits only) and `fal_max_queue_length` (429 when full)."""
    webhook = request.query_params.get("fal_webhook") if visible else None
    if webhook is not None and not webhook.startswith(("http://", "https://")):
        return None, error_response(400, "fal_webhook must be an http(s) URL", "bad_request")
    max_len = request.query_params.get("fal_max_queue_length")
    if max_len is not None:
        if not max_len.isdigit():
            return None, error_response(
                400, "fal_max_queue_length must be an integer", "bad_request"
            )
        if state.queue.depth().get(endpoint_id, 0) >= int(max_len):
            return None, error_response(429, "Queue is full", "queue_full")
    return webhook, None


async def accept(
    state: ServerState,
    request: Request,
    definition: EndpointDef,
    endpoint_id: str,
    *,
    visible: bool,
) -> Job | Response:
    """Validate and enqueue; refusals never reach the queue.

    `visible` jobs are queue submits (status/result URLs, webhooks); others belong to one run or
    stream call and are never listed.
    """
    counted_as = definition.endpoint_id
    arguments, problem = await parse_json_body(request)
    if problem is not None:
        state.metrics.inc("falwidgets_rejections_total", endpoint=counted_as)
        return problem
    # input URLs on this server arrive on the caller's base; jobs read them on the canonical one
    arguments = rebase(arguments, state.base_for(request), state.base_url)
    timeout, problem = start_timeout(request)
    if problem is not None:
        return problem
    priority, problem = _priority(request)
    if problem is not None:
        return problem
    no_retry = parse_flag(request.headers.get("x-fal-no-retry")) is True
    inp, detail = validate_input(definition.input, arguments)
    if detail is None:
        detail = check_limits(definition.endpoint_id, inp)
    if detail is not None:
        state.metrics.inc("falwidgets_rejections_total", endpoint=counted_as)
        return json_response({"detail": detail}, 422, x_fal_billable_units="0")
    webhook, problem = _queue_options(state, request, endpoint_id, visible=visible)
    if problem is not None:
        if problem.status_code == 429:
            state.metrics.inc("falwidgets_rejections_total", endpoint=counted_as)
        return problem
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
        state.count_submission(endpoint_id, arguments)
        state.metrics.inc("falwidgets_submissions_total", endpoint=counted_as)
    else:
        state.metrics.inc("falwidgets_runs_total", endpoint=counted_as)
    return job


def result_response(state: ServerState, request: Request, job: Job) -> Response:
    """The result of a finished job as fal answers it (output, or the error with its headers)."""
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
