"""The asyncio client: ``AsyncClient`` (a thin driver over ``Engine``; handles in ``_handles``).

``AsyncHandle.events()`` is an async iterator and ``subscribe(on_update=...)`` accepts a sync or
async callable: the runner widget drives queue position, logs, elapsed time and cancel from them.
The loops themselves (SSE, polling fallback, streams, resume) live once in the engine.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator, Callable
from typing import TYPE_CHECKING, Any

import httpx

from falwidgets.client._client_base import ClientBase
from falwidgets.client._compat import pick
from falwidgets.client._drive import aiterate, run_async
from falwidgets.client._handles import AsyncHandle
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
from falwidgets.client._ops import Op
from falwidgets.client._platform import RequestRecord, requests_op
from falwidgets.client._platform import query as platform_query
from falwidgets.client._reconcile import AmbiguousSubmit, resolve_entry
from falwidgets.client._status import Status
from falwidgets.client._stream_results import AsyncStreamIterator
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


class AsyncClient(ClientBase[httpx.AsyncClient]):
    """The asyncio twin of :class:`Client`: the same arguments (see ``__init__``) and methods,
    awaited; ``events()`` and ``stream()`` are async iterators."""

    _http_class = httpx.AsyncClient

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
        """Close the HTTP connections (the journal stays usable); ``async with`` does it."""
        await self._http.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def _run(self, op: Op[Any]) -> Any:
        return await run_async(op, self._http)

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
        """Queue a request (journalled before returning) and return its :class:`AsyncHandle`.

        Path, bytes and PIL values in ``arguments`` are uploaded first. ``timeout`` bounds the
        uploads and the POST together."""
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
        with_logs: bool | None = None,
        on_queue_update: Callable[[Status], Any] | None = None,
        client_timeout: float | None = None,
        interval: float | None = None,
        **submit_options: Any,
    ) -> Any:
        """Submit, follow status (``on_update``/``on_enqueue`` may be sync or async), and return
        the result within ``timeout``; as :meth:`Client.subscribe`, fal_client's names included."""
        on_update = pick("on_update", on_update, on_queue_update)
        timeout = pick("timeout", timeout, client_timeout)
        logs = pick("logs", logs, with_logs)
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
        """The ``fal.run`` path (no queue): POST and return the output; journalled when it ends,
        under the server's ``x-fal-request-id`` or a ``local-…`` id."""
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
        return AsyncStreamIterator(aiterate(op, self._http), record)

    async def upload(
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
        return aiterate(op, self._http)

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
        return aiterate(models_op(self._engine, params, timeout), self._http)

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
        """An :class:`AsyncHandle` on any request by id (URLs from the endpoint-id rules)."""
        return AsyncHandle.from_request_id(self, endpoint, request_id)

    def resume(self, entry_or_request_id: JournalEntry | str) -> AsyncHandle:
        """A handle for a journalled request (by entry or id), using the URLs stored at submit."""
        return AsyncHandle(self, self._engine.resume_ref(entry_or_request_id))

    # -- fal_client's names ----------------------------------------------------------------------
    def get_handle(self, application: str, request_id: str) -> AsyncHandle:
        """fal_client's name for :meth:`handle`."""
        return self.handle(application, request_id)

    async def status(self, application: str, request_id: str, *, with_logs: bool = False) -> Status:
        """One status check of any request (fal_client's ``client.status``)."""
        return await self.handle(application, request_id).status(logs=with_logs)

    async def result(self, application: str, request_id: str) -> Any:
        """Wait for any request's result (fal_client's ``client.result``)."""
        return await self.handle(application, request_id).result()

    async def cancel(self, application: str, request_id: str) -> str:
        """Ask the queue to cancel any request (fal_client's ``client.cancel``)."""
        return await self.handle(application, request_id).cancel()
