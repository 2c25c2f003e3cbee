"""The asyncio client: ``AsyncClient`` and ``AsyncHandle`` (thin drivers over ``_core``).

``AsyncHandle.events()`` is an async iterator and ``subscribe(on_update=...)`` accepts a sync or
async callable: the runner widget drives queue position, logs, elapsed time and cancel from them.
The loops themselves (SSE, polling fallback, streams, resume) live once in ``_core``.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import httpx

from falwidgets.client._core import Engine, HandleBase
from falwidgets.client._direct import AsyncStreamIterator
from falwidgets.client._drive import aiterate, run_async
from falwidgets.client._info import ClientInfo
from falwidgets.client._journal import JournalEntry
from falwidgets.client._platform import RequestRecord, requests_op
from falwidgets.client._platform import query as platform_query
from falwidgets.client._reconcile import AmbiguousSubmit, resolve_entry
from falwidgets.client._retry import RetryPolicy
from falwidgets.client._status import Status
from falwidgets.client._sync import _client_repr, _http_pair
from falwidgets.client._upload import upload_op

if TYPE_CHECKING:
    from falwidgets.client._realtime import AsyncRealtime

__all__ = ["AsyncClient", "AsyncHandle"]


async def _call(callback: Callable[..., Any] | None, *args: Any) -> None:
    if callback is None:
        return
    outcome = callback(*args)
    if inspect.isawaitable(outcome):
        await outcome


class AsyncHandle(HandleBase):
    """One queued request (asyncio): status, events, result, cancel."""

    client: AsyncClient

    @classmethod
    def from_request_id(cls, client: AsyncClient, endpoint: str, request_id: str) -> AsyncHandle:
        return cls(client, client._engine.ref_for(endpoint, request_id))

    async def _run(self, op: Any, on_emit: Callable[[Any], Any] | None = None) -> Any:
        return await run_async(op, self.client._http, self.client._streams, on_emit)

    async def status(self, logs: bool = False) -> Status:
        op = self.client._engine.status(self.ref, logs=logs, deadline=self._short_deadline())
        self.last_status = await self._run(op)
        return self.last_status

    def events(self, logs: bool = True, timeout: float | None = None) -> AsyncIterator[Status]:
        """Status updates until completion, each with only new log lines (SSE, else polling)."""
        op = self._watch(logs, self.client._engine.deadline(timeout))
        return aiterate(op, self.client._http, self.client._streams)

    async def result(self, timeout: float | None = None) -> Any:
        deadline = self.client._engine.deadline(timeout)
        return await self._run(self._follow(False, deadline, reuse=True))

    async def cancel(self) -> str:
        return await self._run(
            self.client._engine.cancel(self.ref, deadline=self._short_deadline())
        )


class AsyncClient(ClientInfo):
    """The asyncio twin of :class:`~falwidgets.client.Client` (same arguments and methods)."""

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
        on_ambiguous: str = "reconcile",
        transport: httpx.AsyncBaseTransport | None = None,
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
            on_ambiguous=on_ambiguous,
        )
        self._http, self._streams = _http_pair(httpx.AsyncClient, transport)

    def __repr__(self) -> str:
        return _client_repr("AsyncClient", self._engine)

    def realtime(
        self,
        endpoint: str,
        *,
        path: str = "/realtime",
        max_buffering: int | None = None,
        throttle: float = 0.128,
        **options: Any,
    ) -> AsyncRealtime:
        """A realtime WebSocket session (``async with client.realtime(id) as rt``): latest input
        wins, timings, reconnect after idle; see ``_realtime``."""
        from falwidgets.client._realtime import AsyncRealtime, RealtimeTarget

        target = RealtimeTarget.from_engine(self._engine)
        return AsyncRealtime(
            target, endpoint, path=path, max_buffering=max_buffering, throttle=throttle, **options
        )

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._streams.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _run(self, op: Any) -> Any:
        return await run_async(op, self._http, self._streams)

    async def submit(
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
    ) -> AsyncHandle:
        return await self._submit(
            endpoint,
            arguments,
            self._engine.submit_deadlines(timeout),
            webhook_url=webhook_url,
            priority=priority,
            start_timeout=start_timeout,
            hint=hint,
            headers=headers,
        )

    async def _submit(
        self, endpoint: str, arguments: dict[str, Any], deadlines: dict[str, Any], **options: Any
    ) -> AsyncHandle:
        op = self._engine.submit(endpoint, arguments, **deadlines, **options)
        return AsyncHandle(self, await self._run(op))

    async def subscribe(
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
        """Submit, follow status (``on_update`` may be sync or async), return the result."""
        deadline = self._engine.deadline(timeout)
        deadlines = self._engine.submit_deadlines(None, deadline)
        handle = await self._submit(endpoint, arguments, deadlines, **submit_options)
        await _call(on_enqueue, handle.request_id)
        want_logs = bool(on_update) if logs is None else logs
        return await handle._run(handle._follow(want_logs, deadline), on_update)

    async def run(
        self,
        endpoint: str,
        arguments: dict[str, Any],
        *,
        timeout: float | None = None,
        start_timeout: float | None = None,
        hint: str | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        op = self._engine.run(
            endpoint,
            arguments,
            deadline=self._engine.deadline(timeout),
            start_timeout=start_timeout,
            hint=hint,
            headers=headers,
        )
        return await self._run(op)

    def stream(
        self,
        endpoint: str,
        arguments: dict[str, Any],
        *,
        path: str = "stream",
        timeout: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> AsyncStreamIterator:
        """Partial results of a streaming endpoint: ``async for event in client.stream(...)``.

        The call is journalled when it ends; the iterator's ``request_id`` names the entry."""
        op, record = self._engine.stream_with_record(
            endpoint, arguments, path=path, timeout=timeout, headers=headers
        )
        return AsyncStreamIterator(aiterate(op, self._http, self._streams), record)

    async def upload(
        self,
        data: Any,
        content_type: str | None = None,
        file_name: str | None = None,
        *,
        timeout: float | None = None,
    ) -> str:
        op = upload_op(
            self._engine,
            data,
            deadline=self._engine.deadline(timeout),
            content_type=content_type,
            file_name=file_name,
        )
        return await self._run(op)

    def requests(
        self,
        endpoint_id: str | list[str],
        *,
        since: Any = None,
        until: Any = None,
        status: str | None = None,
        request_id: str | None = None,
        payloads: bool = False,
        timeout: float | None = None,
    ) -> AsyncIterator[RequestRecord]:
        """fal's server-side history of ``endpoint_id`` (1-50 ids), newest first, page by page.

        ``since``/``until``: datetime, epoch seconds, ISO text or a timedelta ago (fal's default
        is the last 24 h; 90 days with ``request_id``). ``status``: ``success``, ``error`` or
        ``user_error``. ``payloads=True`` adds each request's ``json_input``/``json_output``.
        Each page is fetched within ``timeout`` seconds (default: the client's read timeout).
        Yields :class:`RequestRecord`; runs made anywhere (Playground, other machines) appear.
        """
        params = platform_query(
            endpoint_id,
            since=since,
            until=until,
            status=status,
            request_id=request_id,
            payloads=payloads,
        )
        op = requests_op(self._engine, params, timeout)
        return aiterate(op, self._http, self._streams)

    async def recover(
        self, entry_or_id: JournalEntry | str, *, timeout: float | None = None
    ) -> AsyncHandle:
        """The request behind an ``AMBIGUOUS`` journal entry (a submit whose answer was lost),
        looked up once in fal's request history; its row then names the request. Raises
        :class:`AmbiguousSubmit` while the history does not list it (see ``_reconcile``)."""
        entry = self._engine.ambiguous_entry(entry_or_id)
        op = resolve_entry(self._engine, entry, self._engine.deadline(timeout or 60.0))
        ref = await self._run(op)
        if ref is None:
            raise AmbiguousSubmit(
                f"request history does not list the submit journalled as {entry.request_id} "
                f"({entry.endpoint}, input digest {entry.arguments_sha256[:16]}) yet",
                digest=entry.arguments_sha256,
                journal_id=entry.request_id,
            )
        return AsyncHandle(self, ref)

    def handle(self, endpoint: str, request_id: str) -> AsyncHandle:
        return AsyncHandle.from_request_id(self, endpoint, request_id)

    def resume(self, entry_or_request_id: JournalEntry | str) -> AsyncHandle:
        """A handle for a journalled request (by entry or id), using the URLs stored at submit."""
        return AsyncHandle(self, self._engine.resume_ref(entry_or_request_id))
