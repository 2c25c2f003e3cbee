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
    ) -> AsyncIterator[ModelRecord]:
        """Search fal's models (``/v1/models``), page by page; see ``client/_models.py``."""
        params = models_query(
            q, category=category, endpoint_ids=endpoint_ids, status=status, openapi=openapi
        )
        return aiterate(models_op(self._engine, params, timeout), self._http, self._streams)

    async def pricing(
        self, endpoint_ids: str | list[str], *, timeout: float | None = None
    ) -> dict[str, Price]:
        """Unit prices by endpoint id (ids fal does not price are absent)."""
        return await self._run(pricing_op(self._engine, endpoint_ids, timeout))

    async def estimate(
        self,
        calls: dict[str, float] | None = None,
        *,
        units: dict[str, float] | None = None,
        timeout: float | None = None,
    ) -> Estimate:
        """Cost estimate of ``{endpoint_id: calls}`` or ``units={endpoint_id: billing units}``."""
        return await self._run(
            estimate_op(self._engine, estimate_body(calls, units=units), timeout)
        )

    def handle(self, endpoint: str, request_id: str) -> AsyncHandle:
        return AsyncHandle.from_request_id(self, endpoint, request_id)

    def resume(self, entry_or_request_id: JournalEntry | str) -> AsyncHandle:
        """A handle for a journalled request (by entry or id), using the URLs stored at submit."""
        return AsyncHandle(self, self._engine.resume_ref(entry_or_request_id))
