"""The asyncio client: ``AsyncClient`` and ``AsyncHandle`` (thin drivers over ``_core``).

``AsyncHandle.events()`` is an async iterator and ``subscribe(on_update=...)`` accepts a sync or
async callable: the runner widget drives queue position, logs, elapsed time and cancel from them.
"""

from __future__ import annotations

import asyncio
import inspect
from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx
import httpx_sse

from falwidgets.client._core import Engine, RequestRef, Watcher
from falwidgets.client._drive import build_request, run_async
from falwidgets.client._errors import ServerError
from falwidgets.client._journal import JournalEntry, default_journal
from falwidgets.client._retry import Deadline, RetryPolicy
from falwidgets.client._status import Completed, Status
from falwidgets.client._stream import StreamReader
from falwidgets.client._sync import _limits
from falwidgets.client._upload import upload_op

__all__ = ["AsyncClient", "AsyncHandle"]


async def _call(callback: Callable[..., Any] | None, *args: Any) -> None:
    if callback is None:
        return
    outcome = callback(*args)
    if inspect.isawaitable(outcome):
        await outcome


class AsyncHandle:
    """One queued request (asyncio): status, events, result, cancel."""

    def __init__(self, client: AsyncClient, ref: RequestRef) -> None:
        self.client = client
        self.ref = ref
        self.logs: list[dict[str, Any]] = []
        self.last_status: Status | None = None

    @property
    def request_id(self) -> str:
        return self.ref.request_id

    @property
    def endpoint(self) -> str:
        return self.ref.endpoint

    def __repr__(self) -> str:
        return f"AsyncHandle(endpoint={self.endpoint!r}, request_id={self.request_id!r})"

    @classmethod
    def from_request_id(cls, client: AsyncClient, endpoint: str, request_id: str) -> AsyncHandle:
        return cls(client, client._engine.ref_for(endpoint, request_id))

    async def status(self, logs: bool = False) -> Status:
        deadline = Deadline(self.client._engine.timeout.read or 60.0)
        op = self.client._engine.status(self.ref, logs=logs, deadline=deadline)
        self.last_status = await run_async(op, self.client._http)
        return self.last_status

    def events(self, logs: bool = True, timeout: float | None = None) -> AsyncIterator[Status]:
        """Status updates until completion, each with only new log lines (SSE, else polling)."""
        return self._events(logs, self.client._engine.deadline(timeout))

    async def _events(self, logs: bool, deadline: Deadline) -> AsyncIterator[Status]:
        watcher = Watcher(self.client._engine, self.ref, logs=logs, deadline=deadline)
        http = self.client._http
        while not watcher.done:
            watcher.check_deadline()
            if watcher.use_sse:
                async for status in self._sse(watcher):
                    self._seen(status)
                    yield status
                continue
            status = await run_async(watcher.poll(), http)
            if status is not None:
                self._seen(status)
                yield status
            if not watcher.done:
                delay = watcher.next_delay()
                if delay > 0:
                    await asyncio.sleep(delay)

    def _seen(self, status: Status) -> None:
        self.last_status = status
        self.logs.extend(getattr(status, "logs", []))

    async def _sse(self, watcher: Watcher) -> AsyncIterator[Status]:
        http = self.client._streams
        try:
            response = await http.send(build_request(http, watcher.sse_call()), stream=True)
        except httpx.TransportError:
            watcher.sse_failed()
            return
        try:
            if response.status_code != 200:
                watcher.sse_failed()
                return
            async for event in httpx_sse.EventSource(response).aiter_sse():
                if not event.data:
                    continue
                status = watcher.on_sse_event(event.data)
                if status is not None:
                    yield status
                if watcher.done:
                    return
            watcher.sse_failed()
        except (httpx.TransportError, httpx_sse.SSEError, ServerError):
            watcher.sse_failed()
        finally:
            await response.aclose()

    async def result(self, timeout: float | None = None) -> Any:
        last = self.last_status if isinstance(self.last_status, Completed) else None
        return await self._result(self.client._engine.deadline(timeout), last)

    async def _result(self, deadline: Deadline, completed: Completed | None = None) -> Any:
        if completed is None:
            async for status in self._events(False, deadline):
                if isinstance(status, Completed):
                    completed = status
        op = self.client._engine.result(self.ref, deadline=deadline, completed=completed)
        return await run_async(op, self.client._http)

    async def cancel(self) -> str:
        deadline = Deadline(self.client._engine.timeout.read or 60.0)
        return await run_async(
            self.client._engine.cancel(self.ref, deadline=deadline), self.client._http
        )


class AsyncClient:
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
        short, streams = _limits()
        self._http = httpx.AsyncClient(transport=transport, limits=short, follow_redirects=True)
        self._streams = httpx.AsyncClient(
            transport=transport, limits=streams, follow_redirects=True
        )

    def __repr__(self) -> str:
        e = self._engine
        where = f"proxy_url={e.proxy_url!r}" if e.proxy_url else f"queue={e.hosts.queue!r}"
        return f"AsyncClient({where}, key={'set' if e.creds.key else 'none'})"

    @property
    def hosts(self) -> Any:
        return self._engine.hosts

    async def aclose(self) -> None:
        await self._http.aclose()
        await self._streams.aclose()

    async def __aenter__(self) -> AsyncClient:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

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
        deadline = Deadline(timeout if timeout is not None else self._engine.timeout.read or 60.0)
        op = self._engine.submit(
            endpoint,
            arguments,
            deadline=deadline,
            webhook_url=webhook_url,
            priority=priority,
            start_timeout=start_timeout,
            hint=hint,
            headers=headers,
        )
        return AsyncHandle(self, await run_async(op, self._http))

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
        handle = await self.submit(
            endpoint, arguments, timeout=min(deadline.remaining(), 60.0), **submit_options
        )
        await _call(on_enqueue, handle.request_id)
        completed: Completed | None = None
        want_logs = bool(on_update) if logs is None else logs
        async for status in handle._events(want_logs, deadline):
            await _call(on_update, status)
            if isinstance(status, Completed):
                completed = status
        return await handle._result(deadline, completed)

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
        return await run_async(op, self._http)

    async def stream(
        self,
        endpoint: str,
        arguments: dict[str, Any],
        *,
        path: str = "stream",
        timeout: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> AsyncIterator[dict[str, Any]]:
        deadline = self._engine.deadline(timeout)
        arguments = await run_async(self._engine.prepare(arguments, deadline), self._http)
        call = self._engine.stream_call(
            endpoint, arguments, path=path, deadline=deadline, headers=headers
        )
        reader = StreamReader(self._engine, endpoint, deadline)
        try:
            response = await self._streams.send(build_request(self._streams, call), stream=True)
        except httpx.TransportError as error:
            raise reader.transport_error(error) from error
        try:
            if response.status_code != 200:
                await response.aread()
                raise reader.http_error(response)
            try:
                async for event in httpx_sse.EventSource(response).aiter_sse():
                    item = reader.event(event)
                    if item is not None:
                        yield item
                    reader.check_deadline()
            except (httpx.TransportError, httpx_sse.SSEError) as error:
                raise reader.cut(error) from error
        finally:
            await response.aclose()

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
        return await run_async(op, self._http)

    def handle(self, endpoint: str, request_id: str) -> AsyncHandle:
        return AsyncHandle.from_request_id(self, endpoint, request_id)

    def resume(self, entry_or_request_id: JournalEntry | str) -> AsyncHandle:
        entry = entry_or_request_id
        if isinstance(entry, str):
            found = (self._engine.journal or default_journal()).get(entry)
            if found is None:
                raise KeyError(f"request {entry_or_request_id!r} is not in the journal")
            entry = found
        ref = RequestRef(
            entry.endpoint,
            entry.request_id,
            entry.status_url,
            entry.response_url,
            entry.cancel_url,
            entry.base,
        )
        return AsyncHandle(self, ref)
