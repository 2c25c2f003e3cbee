"""The protocol, once: a client's configuration and every operation as a sans-IO generator.

``Engine`` holds a client's configuration (hosts, credentials, proxy, timeouts, retry policy,
journal) and exposes each operation (submit, status, result, cancel, follow, run, stream) as a
generator of steps (see ``_ops``) that the sync and async drivers (``_drive``) execute. The
status state machine lives in ``_watcher``; the journal records of calls that never enter a
queue in ``_call_record``; ``client.stream``'s event mapping in ``_stream_results``.
"""

from __future__ import annotations

import functools
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx

from falwidgets import __version__
from falwidgets.client._auth import Credentials, resolve_credentials
from falwidgets.client._call_record import CallRecord
from falwidgets.client._encode import find_uploads, replace_uploads
from falwidgets.client._errors import (
    _URL_TOKEN,
    Cancelled,
    FalError,
    RequestFailed,
    ServerError,
    add_secrets,
    detail_text,
    error_from_response,
    is_cancellation,
    redact_url,
)
from falwidgets.client._journal import AMBIGUOUS, Journal, JournalEntry, default_journal
from falwidgets.client._ops import (
    _UNSET,
    Call,
    Close,
    Emit,
    FileSlice,
    Op,
    Open,
    Parallel,
    ReadEvent,
    Wait,
    send,
)
from falwidgets.client._reconcile import ON_AMBIGUOUS, answer_lost, reconcile
from falwidgets.client._retry import Deadline, RetryPolicy
from falwidgets.client._status import (
    Completed,
    Status,
    parse_status,
)
from falwidgets.client._stream_results import StreamReader
from falwidgets.client._urls import Hosts, parse_endpoint
from falwidgets.client._watcher import Watcher

__all__ = [
    "DEFAULT_TIMEOUT",
    "DEFAULT_WAIT",
    "Engine",
    "RequestRef",
]

logger = logging.getLogger("falwidgets.client")

USER_AGENT = f"falwidgets/{__version__} (python)"
DEFAULT_TIMEOUT = httpx.Timeout(60.0, connect=10.0)
DEFAULT_WAIT = 900.0  # total seconds subscribe/result wait unless told otherwise
_BASE_HEADERS = {"user-agent": USER_AGENT}
_PRIORITIES = ("normal", "low")
_ONCE = RetryPolicy(max_attempts=1)


@functools.lru_cache(maxsize=256)
def _host_of_authority(authority: str) -> str:
    return httpx.URL(f"http://{authority}/").host


def _host(url: str) -> str:
    """The host of ``url`` (cached per authority: parsing a URL per call costs CPU per job)."""
    parts = url.split("/", 3)
    if len(parts) < 3 or not parts[0].endswith(":"):
        return httpx.URL(url).host
    return _host_of_authority(parts[2])


def _url_token(url: str | None) -> str | None:
    match = _URL_TOKEN.search(url or "")
    return match.group(0)[3:] if match else None


@dataclass(frozen=True)
class RequestRef:
    """Everything needed to follow one queued request, from any process."""

    endpoint: str
    request_id: str
    status_url: str
    response_url: str
    cancel_url: str
    base: str

    def __repr__(self) -> str:
        return (
            f"RequestRef(endpoint={self.endpoint!r}, request_id={self.request_id!r}, "
            f"base={redact_url(self.base)!r})"
        )

    @classmethod
    def from_entry(cls, entry: JournalEntry) -> RequestRef:
        return cls(
            entry.endpoint,
            entry.request_id,
            entry.status_url,
            entry.response_url,
            entry.cancel_url,
            entry.base,
        )


def _json(response: httpx.Response, action: str, request_id: str | None = None) -> Any:
    try:
        return response.json()
    except ValueError as error:
        raise ServerError(
            f"{action}: the server answered HTTP {response.status_code} with a body that is not "
            f"JSON: {response.text[:200]!r}",
            request_id=request_id,
            status_code=response.status_code,
        ) from error


def _runner_headers(
    extra: dict[str, str], start_timeout: float | None, hint: str | None
) -> dict[str, str]:
    """Add fal's runner headers (start timeout, runner hint) to ``extra``: submit and run share
    them."""
    if start_timeout is not None:
        extra["x-fal-request-timeout"] = f"{float(start_timeout):g}"
    if hint:
        extra["x-fal-runner-hint"] = hint
    return extra


class Engine:
    """A client's configuration plus every queue operation as a sans-IO generator."""

    def __init__(
        self,
        key: str | None = None,
        *,
        base_url: str | None = None,
        queue_url: str | None = None,
        run_url: str | None = None,
        rest_url: str | None = None,
        cdn_url: str | None = None,
        proxy_url: str | None = None,
        timeout: float | httpx.Timeout | None = None,
        wait: float = DEFAULT_WAIT,
        retry: RetryPolicy | None = None,
        journal: bool | Journal = True,
        use_sse: bool = True,
        poll_interval: float = 0.1,
        max_poll_interval: float = 1.0,
        on_ambiguous: str = "reconcile",
    ) -> None:
        if on_ambiguous not in ON_AMBIGUOUS:
            raise ValueError(f"on_ambiguous must be one of {ON_AMBIGUOUS}, got {on_ambiguous!r}")
        self.on_ambiguous = on_ambiguous
        self.hosts = Hosts.build(
            base_url, queue_url=queue_url, run_url=run_url, rest_url=rest_url, cdn_url=cdn_url
        )
        self.proxy_url = proxy_url.rstrip("/") if proxy_url else None
        # A proxy holds the real key: a key from the environment is never sent to it. A key
        # passed explicitly in proxy mode is the caller's proxy token (``Authorization: Key``).
        self.creds: Credentials = (
            resolve_credentials(key) if key or not self.proxy_url else Credentials(None, "none")
        )
        add_secrets(self.creds.key, _url_token(self.proxy_url), _url_token(base_url))
        if timeout is None:
            self.timeout = DEFAULT_TIMEOUT
        elif isinstance(timeout, httpx.Timeout):
            self.timeout = timeout
        else:
            if timeout <= 0:
                raise ValueError(f"timeout must be positive, got {timeout!r}")
            self.timeout = httpx.Timeout(float(timeout), connect=min(10.0, float(timeout)))
        if wait is None or wait <= 0:
            raise ValueError(f"wait must be a positive number of seconds, got {wait!r}")
        self.wait = float(wait)
        self.retry = retry or RetryPolicy()
        if journal is True:
            self.journal: Journal | None = default_journal()
        elif journal is False:
            self.journal = None
        else:
            self.journal = journal
        self.use_sse = use_sse
        self.poll_interval = poll_interval
        self.max_poll_interval = max_poll_interval
        self.sse_read_timeout = 30.0  # fal pings every 15 s
        self._cdn_token: dict[str, Any] | None = None

    # -- plumbing -----------------------------------------------------------------------------
    @property
    def secrets(self) -> tuple[str, ...]:
        return (self.creds.key,) if self.creds.key else ()

    def deadline(self, seconds: float | None) -> Deadline:
        if seconds is not None and seconds <= 0:
            raise ValueError(f"timeout must be positive, got {seconds!r}")
        return Deadline(self.wait if seconds is None else seconds)

    def submit_deadlines(
        self, seconds: float | None, total: Deadline | None = None
    ) -> dict[str, Deadline | None]:
        """``deadline``/``uploads`` for :meth:`submit`. The POST is one short call (the read
        timeout by default, and within ``total``); files found in the arguments upload within
        ``total`` (default: the long ``wait``), the POST's own time starting after them. An
        explicit ``seconds`` bounds uploads and POST together, as asked."""
        if seconds is not None:
            return {"deadline": Deadline(seconds), "uploads": None}
        post = self.timeout.read or 60.0
        if total is not None:
            post = min(post, total.remaining())
        return {"deadline": Deadline(post), "uploads": total or self.deadline(None)}

    def call(
        self,
        method: str,
        url: str,
        *,
        params: dict[str, str] | None = None,
        json: Any = _UNSET,
        content: bytes | None = None,
        file: FileSlice | None = None,
        headers: dict[str, str] | None = None,
        auth: bool = True,
        direct: bool = False,
    ) -> Call:
        """A request to ``url``; in proxy mode it goes to the proxy with ``x-fal-target-url``."""
        merged = {"user-agent": USER_AGENT, **(headers or {})} if headers else {**_BASE_HEADERS}
        if self.proxy_url and not direct:
            target = f"{url}?{urlencode(params)}" if params else url
            merged["x-fal-target-url"] = target
            if auth and self.creds.key:
                merged["authorization"] = f"Key {self.creds.key}"
            return Call(method, self.proxy_url, merged, None, json, content, file)
        if auth:
            host = _host(url)
            self.creds.require(host)
            value = self.creds.header_for(host)
            if value:
                merged["authorization"] = value
        return Call(method, url, merged, params, json, content, file)

    def send(
        self,
        call: Call,
        deadline: Deadline,
        action: str,
        *,
        creates: bool = False,
        request_id: str | None = None,
        timeout: httpx.Timeout | None = None,
        retry: bool = True,
    ) -> Op[httpx.Response]:
        return send(
            call,
            policy=self.retry if retry else _ONCE,
            deadline=deadline,
            timeout=timeout or self.timeout,
            action=action,
            creates=creates,
            request_id=request_id,
        )

    def fail(
        self, response: httpx.Response, action: str, request_id: str | None = None, **kw: Any
    ) -> FalError:
        return error_from_response(
            response, action=action, request_id=request_id, secrets=self.secrets, **kw
        )

    # -- arguments ----------------------------------------------------------------------------
    def prepare(self, arguments: Any, deadline: Deadline) -> Op[dict[str, Any]]:
        """Validate the arguments and upload any Path/bytes/PIL values in them."""
        if not isinstance(arguments, dict):
            raise TypeError(
                f"arguments must be a dict of the endpoint's inputs, got {type(arguments).__name__}"
            )
        pending = find_uploads(arguments)
        if not pending:
            return arguments
        from falwidgets.client._upload import upload_op

        urls = yield Parallel([upload_op(self, value, deadline=deadline) for value in pending])
        return replace_uploads(arguments, {id(v): u for v, u in zip(pending, urls, strict=True)})

    # -- queue operations ---------------------------------------------------------------------
    def submit(
        self,
        endpoint: str,
        arguments: Any,
        *,
        deadline: Deadline,
        uploads: Deadline | None = None,
        webhook_url: str | None = None,
        priority: str | None = None,
        start_timeout: float | None = None,
        hint: str | None = None,
        headers: dict[str, str] | None = None,
        reconciling: bool = False,
    ) -> Op[RequestRef]:
        eid = parse_endpoint(endpoint)
        extra = dict(headers or {})
        if priority is not None:
            if priority not in _PRIORITIES:
                raise ValueError(f"priority must be one of {_PRIORITIES}, got {priority!r}")
            extra["x-fal-queue-priority"] = priority
        if start_timeout is not None and start_timeout <= 0:
            raise ValueError(f"start_timeout must be positive, got {start_timeout!r}")
        _runner_headers(extra, start_timeout, hint)
        params = {"fal_webhook": webhook_url} if webhook_url else None
        prepared = yield from self.prepare(arguments, uploads or deadline)
        if uploads is not None and prepared is not arguments:  # the POST's time starts now
            deadline = Deadline(min(deadline.seconds or 60.0, uploads.remaining()))
        arguments = prepared
        action = f"submit to {eid.full}"
        call = self.call(
            "POST", self.hosts.submit_url(eid), params=params, json=arguments, headers=extra
        )
        refused = CallRecord(self, eid.full, arguments, queued=True)
        sent_at = time.time()
        try:
            response = yield from self.send(call, deadline, action, creates=True)
            if not response.is_success:
                refused.adopt(response)
                raise self.fail(response, action)
            body = _json(response, action)
            request_id = body.get("request_id") if isinstance(body, dict) else None
            if not isinstance(request_id, str) or not request_id:
                raise ServerError(f"{action}: the answer has no request_id: {str(body)[:200]!r}")
        except FalError as error:
            if reconciling:  # a resubmission: _reconcile decides what its failure means
                raise
            if answer_lost(error):  # sent, answer lost: find it in the history (_reconcile)
                total = uploads or deadline

                def again() -> Op[RequestRef]:
                    post = Deadline(max(0.01, min(self.timeout.read or 60.0, total.remaining())))
                    return self.submit(
                        eid.full,
                        arguments,
                        deadline=post,
                        webhook_url=webhook_url,
                        headers=extra,
                        reconciling=True,
                    )

                return (
                    yield from reconcile(
                        self,
                        eid.full,
                        arguments,
                        error,
                        sent_at=sent_at,
                        deadline=total,
                        resubmit=again,
                        mode=self.on_ambiguous,
                    )
                )
            yield from refused.failed(error)  # no queue entry exists: journal it as FAILED
            raise
        default = self.hosts.request_url(eid, request_id)
        ref = RequestRef(
            endpoint=eid.full,
            request_id=request_id,
            status_url=body.get("status_url") or f"{default}/status",
            response_url=body.get("response_url") or default,
            cancel_url=body.get("cancel_url") or f"{default}/cancel",
            base=self.hosts.queue,
        )
        if self.journal is not None and not reconciling:  # on disk before submit returns
            yield Wait(
                self.journal.write_submit(
                    request_id=ref.request_id,
                    endpoint=ref.endpoint,
                    base=ref.base,
                    status_url=ref.status_url,
                    response_url=ref.response_url,
                    cancel_url=ref.cancel_url,
                    arguments=arguments,
                )
            )
        return ref

    def resume_ref(self, entry_or_request_id: JournalEntry | str) -> RequestRef:
        """The stored URLs of a journalled request (this client's journal, then the default)."""
        if isinstance(entry_or_request_id, JournalEntry):
            return RequestRef.from_entry(entry_or_request_id)
        if not isinstance(entry_or_request_id, str) or not entry_or_request_id.strip():
            raise ValueError(
                f"expected a JournalEntry or a request id, got {entry_or_request_id!r}"
            )
        journals = [j for j in (self.journal, default_journal()) if j is not None]
        for journal in dict.fromkeys(journals):
            found = journal.get(entry_or_request_id.strip())
            if found is not None:
                return RequestRef.from_entry(found)
        raise KeyError(
            f"request {entry_or_request_id!r} is not in the journal; use "
            "Handle.from_request_id(client, endpoint, request_id)"
        )

    def ambiguous_entry(self, entry_or_request_id: JournalEntry | str) -> JournalEntry:
        """The journal's AMBIGUOUS row for ``Client.recover`` (this client's journal, then the
        default); ValueError when the row is not (or no longer) ambiguous."""
        entry = entry_or_request_id
        if not isinstance(entry, JournalEntry):
            rid = str(entry).strip()
            journals = [j for j in (self.journal, default_journal()) if j is not None]
            found = [e for j in dict.fromkeys(journals) if (e := j.get(rid)) is not None]
            if not found:
                raise KeyError(f"request {rid!r} is not in the journal")
            entry = found[0]
        if entry.status != AMBIGUOUS:
            raise ValueError(
                f"journal entry {entry.request_id} is {entry.status}, not AMBIGUOUS: use resume()"
            )
        return entry

    def ref_for(self, endpoint: str, request_id: str) -> RequestRef:
        """URLs of an existing request from the endpoint-id rules (``owner/app/requests/id``)."""
        if not isinstance(request_id, str) or not request_id.strip():
            raise ValueError(f"request_id must be a non-empty string, got {request_id!r}")
        eid = parse_endpoint(endpoint)
        url = self.hosts.request_url(eid, request_id.strip())
        return RequestRef(
            eid.full, request_id.strip(), f"{url}/status", url, f"{url}/cancel", self.hosts.queue
        )

    def status(self, ref: RequestRef, *, logs: bool, deadline: Deadline) -> Op[Status]:
        action = f"status of request {ref.request_id} ({ref.endpoint})"
        call = self.call("GET", ref.status_url, params={"logs": "1" if logs else "0"})
        response = yield from self.send(call, deadline, action, request_id=ref.request_id)
        if not response.is_success:
            raise self.fail(response, action, ref.request_id)
        return parse_status(_json(response, action, ref.request_id), request_id=ref.request_id)

    def result(
        self, ref: RequestRef, *, deadline: Deadline, completed: Completed | None = None
    ) -> Op[Any]:
        action = f"result of request {ref.request_id} ({ref.endpoint})"
        call = self.call("GET", ref.response_url)
        failed = completed is not None and completed.error is not None
        # a failed request's result is its error body, sent with the app's status (often 5xx):
        # fetched once, since asking again cannot change it
        response = yield from self.send(
            call, deadline, action, request_id=ref.request_id, retry=not failed
        )
        if response.is_success and not failed:
            value = _json(response, action, ref.request_id)
            self._final(
                ref, "COMPLETED", result=value, metrics=completed.metrics if completed else None
            )
            return value
        error_type = completed.error_type if completed else None
        if response.is_success:
            assert completed is not None
            label = f" [{completed.error_type}]" if completed.error_type else ""
            error: FalError = RequestFailed(
                f"request {ref.request_id} to {ref.endpoint} failed{label}: {completed.error}",
                request_id=ref.request_id,
                error_type=completed.error_type,
                status_code=response.status_code,
                detail=completed.error,
            )
        else:
            error = self.fail(response, action, ref.request_id, error_type=error_type)
            if failed and type(error) is ServerError:  # the app's own failure, not the server's
                assert completed is not None
                label = f" [{error.error_type}]" if error.error_type else ""
                text = detail_text(error.detail)
                more = f" ({text})" if text and text not in str(completed.error) else ""
                error = RequestFailed(
                    f"request {ref.request_id} to {ref.endpoint} failed{label}: "
                    f"{completed.error}{more}",
                    request_id=ref.request_id,
                    error_type=error.error_type,
                    status_code=response.status_code,
                    detail=error.detail,
                )
        if completed is not None and is_cancellation(completed.error_type):
            error = Cancelled(
                f"request {ref.request_id} to {ref.endpoint} was cancelled: {completed.error}",
                request_id=ref.request_id,
                error_type=completed.error_type,
                status_code=response.status_code,
            )
        state = "CANCELLED" if isinstance(error, Cancelled) else "FAILED"
        if state == "CANCELLED" or completed is not None or response.status_code < 500:
            self._final(
                ref,
                state,
                error=str(error),
                error_type=error.error_type,
                metrics=completed.metrics if completed else None,
            )
        raise error

    def cancel(self, ref: RequestRef, *, deadline: Deadline) -> Op[str]:
        action = f"cancel of request {ref.request_id} ({ref.endpoint})"
        call = self.call("PUT", ref.cancel_url)
        response = yield from self.send(call, deadline, action, request_id=ref.request_id)
        try:
            body = response.json()
        except ValueError:
            body = None
        state = body.get("status") if isinstance(body, dict) else None
        if response.is_success:
            # Only a request: a running job may still complete. The journal keeps SUBMITTED until
            # a final status is seen (result() records COMPLETED or CANCELLED), so recovery still
            # fetches whatever it produced.
            return state if isinstance(state, str) else "CANCELLATION_REQUESTED"
        if response.status_code == 400 and (
            state == "ALREADY_COMPLETED" or "ALREADY_COMPLETED" in response.text
        ):
            return "ALREADY_COMPLETED"
        raise self.fail(response, action, ref.request_id)

    def _final(self, ref: RequestRef, state: str, **fields: Any) -> None:
        """Queue the final state; nobody waits for it (see ``_journal_writer``)."""
        if self.journal is not None:
            self.journal.write_final(ref.request_id, state, response_url=ref.response_url, **fields)

    def watch(
        self,
        ref: RequestRef,
        *,
        logs: bool,
        deadline: Deadline,
        sink: Callable[[Status], None] | None = None,
    ) -> Op[Completed | None]:
        """Emit each status until completion (``Handle.events``); a failure seen here is
        journalled at once, so a caller that never asks for the result still leaves it final."""
        watcher = Watcher(self, ref, logs=logs, deadline=deadline, sink=sink)
        completed = yield from watcher.run()
        if completed is not None and completed.error is not None:
            state = "CANCELLED" if is_cancellation(completed.error_type) else "FAILED"
            self._final(
                ref,
                state,
                error=str(completed.error),
                error_type=completed.error_type,
                metrics=completed.metrics,
            )
        return completed

    def follow(
        self,
        ref: RequestRef,
        *,
        logs: bool,
        deadline: Deadline,
        sink: Callable[[Status], None] | None = None,
        completed: Completed | None = None,
    ) -> Op[Any]:
        """Watch until completion (emitting each status), then fetch the result."""
        if completed is None:
            watcher = Watcher(self, ref, logs=logs, deadline=deadline, sink=sink)
            completed = yield from watcher.run()
        return (yield from self.result(ref, deadline=deadline, completed=completed))

    # -- direct (no queue) --------------------------------------------------------------------
    def run(
        self,
        endpoint: str,
        arguments: Any,
        *,
        deadline: Deadline,
        start_timeout: float | None = None,
        hint: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Op[Any]:
        eid = parse_endpoint(endpoint)
        extra = _runner_headers(dict(headers or {}), start_timeout, hint)
        arguments = yield from self.prepare(arguments, deadline)
        action = f"run of {eid.full}"
        call = self.call("POST", self.hosts.run_url(eid), json=arguments, headers=extra)
        timeout = httpx.Timeout(
            connect=self.timeout.connect,
            read=deadline.remaining(),
            write=self.timeout.write,
            pool=self.timeout.pool,
        )
        record = CallRecord(self, eid.full, arguments, queued=False)
        try:
            response = yield from self.send(call, deadline, action, creates=True, timeout=timeout)
            record.adopt(response)
            if not response.is_success:
                raise self.fail(response, action)
            value = _json(response, action)
        except FalError as error:
            yield from record.failed(error)
            raise
        except GeneratorExit:
            record.abandoned()
            raise
        yield from record.completed(value)
        return value

    def stream_with_record(
        self,
        endpoint: str,
        arguments: Any,
        *,
        path: str,
        timeout: float | None,
        headers: dict[str, str] | None,
    ) -> tuple[Op[None], CallRecord]:
        """``stream``'s op and its journal record, made at the call so a bad endpoint id or
        timeout fails there, not at the first ``next()``; the record's id names the entry."""
        eid = parse_endpoint(endpoint)
        record = CallRecord(self, eid.full, arguments, queued=False)
        op = self.stream(
            endpoint,
            arguments,
            path=path,
            deadline=self.deadline(timeout),
            headers=headers,
            record=record,
        )
        return op, record

    def stream(
        self,
        endpoint: str,
        arguments: Any,
        *,
        path: str,
        deadline: Deadline,
        headers: dict[str, str] | None = None,
        record: CallRecord | None = None,
    ) -> Op[None]:
        """Emit each partial result of a streaming endpoint; never re-sent after a cut.

        The call is journalled when it ends (see ``_call_record``) under ``record``'s id.
        """
        record = record or CallRecord(self, endpoint, arguments, queued=False)
        arguments = yield from self.prepare(arguments, deadline)
        record.arguments = arguments
        call = self.stream_call(endpoint, arguments, path=path, deadline=deadline, headers=headers)
        reader = StreamReader(self, endpoint, deadline)
        try:
            response = yield Open(call, until=deadline.at)
            if not isinstance(response, httpx.Response):
                raise reader.transport_error(response)
            record.adopt(response)
            if response.status_code != 200:
                yield Close(response)
                raise reader.http_error(response)
            while True:
                reader.check_deadline()  # on every event; the driver's hard stop bounds pings
                event = yield ReadEvent(response)
                if event is None:
                    break
                if isinstance(event, Exception):
                    reader.check_deadline()
                    raise reader.cut(event)
                item = reader.event(event)
                if item is not None:
                    record.seen(item)
                    yield Emit(item)
            yield Close(response)
        except FalError as error:
            yield from record.failed(error)
            raise
        except GeneratorExit:
            record.abandoned()
            raise
        yield from record.completed(record.last)

    def stream_call(
        self,
        endpoint: str,
        arguments: dict[str, Any],
        *,
        path: str,
        deadline: Deadline,
        headers: dict[str, str] | None = None,
    ) -> Call:
        eid = parse_endpoint(endpoint)
        url = f"{self.hosts.run_url(eid)}/{path.strip('/')}" if path else self.hosts.run_url(eid)
        call = self.call(
            "POST", url, json=arguments, headers={"accept": "text/event-stream", **(headers or {})}
        )
        call.timeout = deadline.clamp(
            httpx.Timeout(
                connect=self.timeout.connect,
                read=self.sse_read_timeout,
                write=self.timeout.write,
                pool=self.timeout.pool,
            )
        )
        return call
