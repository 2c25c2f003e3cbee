"""The blocking client: ``Client`` and ``Handle`` (thin drivers over ``_core``)."""

from __future__ import annotations

import functools
import inspect
import ssl
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx

from falwidgets.client._core import Engine, HandleBase, redact_url
from falwidgets.client._direct import StreamIterator
from falwidgets.client._drive import iterate_sync, run_sync
from falwidgets.client._info import ClientInfo
from falwidgets.client._journal import JournalEntry
from falwidgets.client._models import (
    Estimate,
    ModelRecord,
    Price,
    estimate_body,
    estimate_op,
    models_op,
    models_query,
    pricing_op,
)
from falwidgets.client._net import async_transport, lean_backend_usable
from falwidgets.client._pool import SHARDS, Pool
from falwidgets.client._retry import RetryPolicy
from falwidgets.client._status import Status
from falwidgets.client._upload import upload_op

if TYPE_CHECKING:
    from falwidgets.client._realtime import Realtime

__all__ = ["Client", "Handle"]


def _limits() -> tuple[httpx.Limits, httpx.Limits]:
    """Per-shard limits (see ``_pool``): short calls and SSE streams use separate pools, each
    spread over ``SHARDS`` clients; keep-alive covers a shard's share of 64 concurrent jobs."""
    return (
        httpx.Limits(max_connections=64, max_keepalive_connections=16),
        httpx.Limits(max_connections=128, max_keepalive_connections=16),
    )


class _NoCookies(httpx.Cookies):
    """fal's queue sets no cookies; skipping httpx's per-response cookie parsing (it builds a
    urllib request and an email message for every response) saves CPU on every call."""

    def extract_cookies(self, response: httpx.Response) -> None:
        return None


@functools.cache
def _ssl_context() -> ssl.SSLContext:
    """One default (verifying) TLS context for every client: loading the CA bundle costs ~25 ms,
    and each shard of each client would otherwise load its own."""
    return httpx.create_ssl_context()


def _http(cls: type[Any], **options: Any) -> Any:
    """A sharded pool of httpx clients without cookie handling (see ``_pool``, ``_NoCookies``);
    async ones on the lean asyncio network backend (see ``_net``)."""

    options.setdefault("verify", _ssl_context())
    lean = cls is httpx.AsyncClient and options.get("transport") is None and lean_backend_usable()

    def make() -> Any:
        if lean:  # one transport per shard
            transport = async_transport(verify=options["verify"], limits=options["limits"])
            options["mounts"] = {"all://": transport}
        client = cls(**options)
        if isinstance(getattr(client, "_cookies", None), httpx.Cookies):
            client._cookies = _NoCookies()
        return client

    # a caller's transport is one pool whatever wraps it: sharding it would only multiply closes
    return Pool(make, shards=1 if options.get("transport") is not None else SHARDS)


def _http_pair(cls: type[Any], transport: Any) -> tuple[Any, Any]:
    """The short-call and SSE-stream pools of one client (sync or async ``cls``)."""
    short, streams = _limits()
    return (
        _http(cls, transport=transport, limits=short, follow_redirects=True),
        _http(cls, transport=transport, limits=streams, follow_redirects=True),
    )


def _client_repr(name: str, engine: Engine) -> str:
    where = (
        f"proxy_url={redact_url(engine.proxy_url)!r}"
        if engine.proxy_url
        else f"queue={redact_url(engine.hosts.queue)!r}"
    )
    return f"{name}({where}, key={'set' if engine.creds.key else 'none'})"


class Handle(HandleBase):
    """One queued request: follow its status and logs, fetch its result, cancel it."""

    client: Client

    @classmethod
    def from_request_id(cls, client: Client, endpoint: str, request_id: str) -> Handle:
        """Resume any request by id (URLs from the endpoint-id rules)."""
        return cls(client, client._engine.ref_for(endpoint, request_id))

    def _run(self, op: Any, on_emit: Callable[[Any], Any] | None = None) -> Any:
        return run_sync(op, self.client._http, self.client._streams, on_emit)

    def status(self, logs: bool = False) -> Status:
        """One status check (polled logs are the full list so far)."""
        op = self.client._engine.status(self.ref, logs=logs, deadline=self._short_deadline())
        self.last_status = self._run(op)
        return self.last_status

    def events(self, logs: bool = True, timeout: float | None = None) -> Iterator[Status]:
        """Status updates until completion; each carries only log lines not seen before.

        Uses the SSE status stream and falls back to polling when it is unavailable or cut.
        Raises :class:`DeadlineExceeded` (with ``request_id``) after ``timeout`` seconds, even
        while the server keeps the stream alive with pings.
        """
        op = self._watch(logs, self.client._engine.deadline(timeout))
        return iterate_sync(op, self.client._http, self.client._streams)

    def result(self, timeout: float | None = None) -> Any:
        """Wait for completion (SSE, else polling) and return the output JSON.

        Raises :class:`RequestFailed`/:class:`ValidationError`/:class:`Cancelled` when the request
        failed, :class:`DeadlineExceeded` after ``timeout`` seconds (default: the client's wait).
        """
        return self._run(self._follow(False, self.client._engine.deadline(timeout), reuse=True))

    def cancel(self) -> str:
        """Ask the queue to cancel; returns ``CANCELLATION_REQUESTED`` or ``ALREADY_COMPLETED``.

        The job may still complete; ``result()`` says how it ended (and journals it).
        """
        return self._run(self.client._engine.cancel(self.ref, deadline=self._short_deadline()))


class Client(ClientInfo):
    """fal's queue protocol over httpx (blocking). Safe to share between threads.

    ``base_url`` points queue, run, rest and CDN at one server (e.g. ``falwidgets serve``);
    ``proxy_url`` sends every call through a key-holding proxy (``x-fal-target-url``); there
    ``key`` is your proxy token (sent as ``Authorization: Key``) and a key from the environment
    is never sent. ``timeout`` bounds each HTTP call; ``wait`` is the default total for
    ``subscribe``/``result``.
    """

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
        wait: float = 900.0,
        retry: RetryPolicy | None = None,
        journal: bool = True,
        use_sse: bool = True,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._engine = Engine(
            key,
            base_url=base_url,
            queue_url=queue_url,
            run_url=run_url,
            rest_url=rest_url,
            cdn_url=cdn_url,
            proxy_url=proxy_url,
            timeout=timeout,
            wait=wait,
            retry=retry,
            journal=journal,
            use_sse=use_sse,
        )
        self._http, self._streams = _http_pair(httpx.Client, transport)

    def __repr__(self) -> str:
        return _client_repr("Client", self._engine)

    def realtime(
        self,
        endpoint: str,
        *,
        path: str = "/realtime",
        max_buffering: int | None = None,
        throttle: float = 0.128,
        **options: Any,
    ) -> Realtime:
        """A realtime WebSocket session (``with client.realtime(id) as rt: rt.send(...);
        rt.recv()``): latest input wins, timings, reconnect after idle; see ``_realtime``."""
        from falwidgets.client._realtime import Realtime, RealtimeTarget

        target = RealtimeTarget.from_engine(self._engine)
        return Realtime(
            target, endpoint, path=path, max_buffering=max_buffering, throttle=throttle, **options
        )

    def close(self) -> None:
        self._http.close()
        self._streams.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, op: Any, on_emit: Callable[[Any], Any] | None = None) -> Any:
        return run_sync(op, self._http, self._streams, on_emit)

    def submit(
        self,
        endpoint: str,
        arguments: dict[str, Any],
        *,
        webhook_url: str | None = None,
        priority: str | None = None,
        start_timeout: float | None = None,
        hint: str | None = None,
        headers: dict[str, str] | None = None,
        timeout: float | None = None,
    ) -> Handle:
        """Queue a request (journalled before returning) and return its :class:`Handle`."""
        return self._submit(
            endpoint,
            arguments,
            self._engine.submit_deadlines(timeout),
            webhook_url=webhook_url,
            priority=priority,
            start_timeout=start_timeout,
            hint=hint,
            headers=headers,
        )

    def _submit(
        self, endpoint: str, arguments: dict[str, Any], deadlines: dict[str, Any], **options: Any
    ) -> Handle:
        op = self._engine.submit(endpoint, arguments, **deadlines, **options)
        return Handle(self, self._run(op))

    def subscribe(
        self,
        endpoint: str,
        arguments: dict[str, Any],
        *,
        on_update: Callable[[Status], Any] | None = None,
        on_enqueue: Callable[[str], Any] | None = None,
        logs: bool | None = None,
        timeout: float | None = None,
        **submit_options: Any,
    ) -> Any:
        """Submit, follow status (calling ``on_update``), and return the result, within ``timeout``.

        On expiry :class:`DeadlineExceeded` carries ``request_id``; the request keeps running and
        is in the journal, so ``client.resume(request_id).result()`` picks it up.
        """
        for callback in (on_update, on_enqueue):
            if callback is not None and inspect.iscoroutinefunction(callback):
                raise TypeError("Client.subscribe takes plain callbacks; use AsyncClient for async")
        deadline = self._engine.deadline(timeout)
        deadlines = self._engine.submit_deadlines(None, deadline)
        handle = self._submit(endpoint, arguments, deadlines, **submit_options)
        if on_enqueue is not None:
            on_enqueue(handle.request_id)
        want_logs = bool(on_update) if logs is None else logs
        return handle._run(handle._follow(want_logs, deadline), on_update)

    def run(
        self,
        endpoint: str,
        arguments: dict[str, Any],
        *,
        timeout: float | None = None,
        start_timeout: float | None = None,
        hint: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        """The synchronous ``fal.run`` path (no queue): POST and return the output.

        Journalled when it ends, under the server's ``x-fal-request-id`` or a ``local-…`` id."""
        op = self._engine.run(
            endpoint,
            arguments,
            deadline=self._engine.deadline(timeout),
            start_timeout=start_timeout,
            hint=hint,
            headers=headers,
        )
        return self._run(op)

    def stream(
        self,
        endpoint: str,
        arguments: dict[str, Any],
        *,
        path: str = "stream",
        timeout: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> StreamIterator:
        """Partial results of a streaming endpoint (SSE), one dict per event, within ``timeout``
        (checked on every line, so a server that only pings cannot hold the caller).

        The call is journalled when it ends; the iterator's ``request_id`` names the entry."""
        op, record = self._engine.stream_with_record(
            endpoint, arguments, path=path, timeout=timeout, headers=headers
        )
        return StreamIterator(iterate_sync(op, self._http, self._streams), record)

    def upload(
        self,
        data: Any,
        content_type: str | None = None,
        file_name: str | None = None,
        *,
        timeout: float | None = None,
    ) -> str:
        """Upload bytes, a path, a file object or a PIL image to fal's CDN; return its URL."""
        op = upload_op(
            self._engine,
            data,
            deadline=self._engine.deadline(timeout),
            content_type=content_type,
            file_name=file_name,
        )
        return self._run(op)

    # -- platform model APIs (client/_models.py) --------------------------------------------
    def models(
        self,
        q: str | None = None,
        *,
        category: str | None = None,
        endpoint_ids: str | list[str] | None = None,
        status: str | None = None,
        openapi: bool = False,
        timeout: float | None = None,
    ) -> Iterator[ModelRecord]:
        """Search fal's models (``/v1/models``), page by page; see ``client/_models.py``."""
        params = models_query(
            q, category=category, endpoint_ids=endpoint_ids, status=status, openapi=openapi
        )
        return iterate_sync(models_op(self._engine, params, timeout), self._http, self._streams)

    def pricing(
        self, endpoint_ids: str | list[str], *, timeout: float | None = None
    ) -> dict[str, Price]:
        """Unit prices by endpoint id (ids fal does not price are absent)."""
        return self._run(pricing_op(self._engine, endpoint_ids, timeout))

    def estimate(
        self,
        calls: dict[str, float] | None = None,
        *,
        units: dict[str, float] | None = None,
        timeout: float | None = None,
    ) -> Estimate:
        """Cost estimate of ``{endpoint_id: calls}`` or ``units={endpoint_id: billing units}``."""
        return self._run(estimate_op(self._engine, estimate_body(calls, units=units), timeout))

    def handle(self, endpoint: str, request_id: str) -> Handle:
        return Handle.from_request_id(self, endpoint, request_id)

    def resume(self, entry_or_request_id: JournalEntry | str) -> Handle:
        """A handle for a journalled request (by entry or id), using the URLs stored at submit."""
        return Handle(self, self._engine.resume_ref(entry_or_request_id))
