"""The blocking client: ``Client`` and ``Handle`` (thin drivers over ``_core``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import httpx_sse

from falwidgets.client._core import Engine, RequestRef, Watcher
from falwidgets.client._drive import build_request, run_sync
from falwidgets.client._errors import ServerError
from falwidgets.client._journal import JournalEntry
from falwidgets.client._retry import Deadline, RetryPolicy
from falwidgets.client._status import Completed, Status
from falwidgets.client._upload import upload_op

__all__ = ["Client", "Handle"]


def _limits() -> tuple[httpx.Limits, httpx.Limits]:
    """Short calls and SSE streams get separate pools: httpcore scans its pool per request in
    O(connections x idle connections), so one big mixed pool costs CPU at high concurrency."""
    return (
        httpx.Limits(max_connections=256, max_keepalive_connections=32),
        httpx.Limits(max_connections=512, max_keepalive_connections=16),
    )


class Handle:
    """One queued request: follow its status and logs, fetch its result, cancel it."""

    def __init__(self, client: Client, ref: RequestRef) -> None:
        self.client = client
        self.ref = ref
        self.logs: list[dict[str, Any]] = []  # every log line seen by events(), in order
        self.last_status: Status | None = None

    @property
    def request_id(self) -> str:
        return self.ref.request_id

    @property
    def endpoint(self) -> str:
        return self.ref.endpoint

    def __repr__(self) -> str:
        return f"Handle(endpoint={self.endpoint!r}, request_id={self.request_id!r})"

    @classmethod
    def from_request_id(cls, client: Client, endpoint: str, request_id: str) -> Handle:
        """Resume any request by id (URLs from the endpoint-id rules)."""
        return cls(client, client._engine.ref_for(endpoint, request_id))

    def status(self, logs: bool = False) -> Status:
        """One status check (polled logs are the full list so far)."""
        deadline = Deadline(self.client._engine.timeout.read or 60.0)
        op = self.client._engine.status(self.ref, logs=logs, deadline=deadline)
        self.last_status = run_sync(op, self.client._http)
        return self.last_status

    def events(self, logs: bool = True, timeout: float | None = None) -> Iterator[Status]:
        """Status updates until completion; each carries only log lines not seen before.

        Uses the SSE status stream and falls back to polling when it is unavailable or cut.
        Raises :class:`DeadlineExceeded` (with ``request_id``) after ``timeout`` seconds.
        """
        return self._events(logs, self.client._engine.deadline(timeout))

    def _events(self, logs: bool, deadline: Deadline) -> Iterator[Status]:
        watcher = Watcher(self.client._engine, self.ref, logs=logs, deadline=deadline)
        http = self.client._http
        while not watcher.done:
            watcher.check_deadline()
            if watcher.use_sse:
                for status in self._sse(watcher):
                    self._seen(status)
                    yield status
                continue
            status = run_sync(watcher.poll(), http)
            if status is not None:
                self._seen(status)
                yield status
            if not watcher.done:
                delay = watcher.next_delay()
                if delay > 0:
                    import time

                    time.sleep(delay)

    def _seen(self, status: Status) -> None:
        self.last_status = status
        self.logs.extend(getattr(status, "logs", []))

    def _sse(self, watcher: Watcher) -> Iterator[Status]:
        http = self.client._streams
        try:
            response = http.send(build_request(http, watcher.sse_call()), stream=True)
        except httpx.TransportError:
            watcher.sse_failed()
            return
        try:
            if response.status_code != 200:
                watcher.sse_failed()
                return
            for event in httpx_sse.EventSource(response).iter_sse():
                if not event.data:
                    continue
                status = watcher.on_sse_event(event.data)
                if status is not None:
                    yield status
                if watcher.done:
                    return
            watcher.sse_failed()  # closed before COMPLETED: cut
        except (httpx.TransportError, httpx_sse.SSEError, ServerError):
            watcher.sse_failed()
        finally:
            response.close()

    def result(self, timeout: float | None = None) -> Any:
        """Wait for completion (SSE, else polling) and return the output JSON.

        Raises :class:`RequestFailed`/:class:`ValidationError`/:class:`Cancelled` when the request
        failed, :class:`DeadlineExceeded` after ``timeout`` seconds (default: the client's wait).
        """
        last = self.last_status if isinstance(self.last_status, Completed) else None
        return self._result(self.client._engine.deadline(timeout), last)

    def _result(self, deadline: Deadline, completed: Completed | None = None) -> Any:
        if completed is None:
            for status in self._events(False, deadline):
                if isinstance(status, Completed):
                    completed = status
        op = self.client._engine.result(self.ref, deadline=deadline, completed=completed)
        return run_sync(op, self.client._http)

    def cancel(self) -> str:
        """Ask the queue to cancel; returns ``CANCELLATION_REQUESTED`` or ``ALREADY_COMPLETED``."""
        deadline = Deadline(self.client._engine.timeout.read or 60.0)
        return run_sync(self.client._engine.cancel(self.ref, deadline=deadline), self.client._http)


class Client:
    """fal's queue protocol over httpx (blocking). Safe to share between threads.

    ``base_url`` points queue, run, rest and CDN at one server (e.g. ``falwidgets serve``);
    ``proxy_url`` sends every call through a key-holding proxy (``x-fal-target-url``) with no key;
    ``timeout`` bounds each HTTP call; ``wait`` is the default total for ``subscribe``/``result``.
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
        short, streams = _limits()
        self._http = httpx.Client(transport=transport, limits=short, follow_redirects=True)
        self._streams = httpx.Client(transport=transport, limits=streams, follow_redirects=True)

    def __repr__(self) -> str:
        e = self._engine
        where = f"proxy_url={e.proxy_url!r}" if e.proxy_url else f"queue={e.hosts.queue!r}"
        return f"Client({where}, key={'set' if e.creds.key else 'none'})"

    @property
    def hosts(self) -> Any:
        return self._engine.hosts

    def close(self) -> None:
        self._http.close()
        self._streams.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

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
        return Handle(self, run_sync(op, self._http))

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
        handle = self.submit(
            endpoint, arguments, timeout=min(deadline.remaining(), 60.0), **submit_options
        )
        if on_enqueue is not None:
            on_enqueue(handle.request_id)
        completed: Completed | None = None
        want_logs = bool(on_update) if logs is None else logs
        for status in handle._events(want_logs, deadline):
            if on_update is not None:
                on_update(status)
            if isinstance(status, Completed):
                completed = status
        return handle._result(deadline, completed)

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
        """The synchronous ``fal.run`` path (no queue, no journal): POST and return the output."""
        op = self._engine.run(
            endpoint,
            arguments,
            deadline=self._engine.deadline(timeout),
            start_timeout=start_timeout,
            hint=hint,
            headers=headers,
        )
        return run_sync(op, self._http)

    def stream(
        self,
        endpoint: str,
        arguments: dict[str, Any],
        *,
        path: str = "stream",
        timeout: float | None = None,
        headers: dict[str, str] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Partial results of a streaming endpoint (SSE), one dict per event, within ``timeout``."""
        deadline = self._engine.deadline(timeout)
        arguments = run_sync(self._engine.prepare(arguments, deadline), self._http)
        call = self._engine.stream_call(
            endpoint, arguments, path=path, deadline=deadline, headers=headers
        )
        from falwidgets.client._stream import StreamReader

        reader = StreamReader(self._engine, endpoint, deadline)
        try:
            response = self._streams.send(build_request(self._streams, call), stream=True)
        except httpx.TransportError as error:
            raise reader.transport_error(error) from error
        try:
            if response.status_code != 200:
                response.read()
                raise reader.http_error(response)
            try:
                for event in httpx_sse.EventSource(response).iter_sse():
                    item = reader.event(event)
                    if item is not None:
                        yield item
                    reader.check_deadline()
            except (httpx.TransportError, httpx_sse.SSEError) as error:
                raise reader.cut(error) from error
        finally:
            response.close()

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
        return run_sync(op, self._http)

    def handle(self, endpoint: str, request_id: str) -> Handle:
        return Handle.from_request_id(self, endpoint, request_id)

    def resume(self, entry_or_request_id: JournalEntry | str) -> Handle:
        """A handle for a journalled request (by entry or id), using the URLs stored at submit."""
        entry = entry_or_request_id
        if isinstance(entry, str):
            found = self._engine.journal.get(entry) if self._engine.journal else None
            if found is None:
                from falwidgets.client._journal import default_journal

                found = default_journal().get(entry)
            if found is None:
                raise KeyError(
                    f"request {entry_or_request_id!r} is not in the journal; use "
                    "Handle.from_request_id(client, endpoint, request_id)"
                )
            entry = found
        ref = RequestRef(
            entry.endpoint,
            entry.request_id,
            entry.status_url,
            entry.response_url,
            entry.cancel_url,
            entry.base,
        )
        return Handle(self, ref)
