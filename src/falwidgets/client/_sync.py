"""The blocking client: ``Client`` (a thin driver over ``Engine``; handles in ``_handles``)."""

from __future__ import annotations

import inspect
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any

import httpx

from falwidgets.client._client_base import ClientBase
from falwidgets.client._compat import pick
from falwidgets.client._drive import iterate_sync, run_sync
from falwidgets.client._handles import Handle
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
from falwidgets.client._stream_results import StreamIterator
from falwidgets.client._upload import upload_op

if TYPE_CHECKING:
    from falwidgets.client._realtime import Realtime

__all__ = ["Client", "Handle"]


class Client(ClientBase[httpx.Client]):
    """fal's queue protocol over httpx (blocking). Safe to share between threads.

    ``Client(key=None, *, base_url=None, proxy_url=None, timeout=None, wait=900, ...)``: the
    arguments are described on ``__init__`` (shared with :class:`AsyncClient`).
    """

    _http_class = httpx.Client

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
        """Close the HTTP connections (the journal stays usable); ``with Client() as c:`` does
        it for you."""
        self._http.close()

    def __enter__(self) -> Client:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _run(self, op: Op[Any], on_emit: Callable[[Any], Any] | None = None) -> Any:
        return run_sync(op, self._http, on_emit)

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
        """Queue a request (journalled before returning) and return its :class:`Handle`.

        Path, bytes and PIL values in ``arguments`` are uploaded first. ``timeout`` bounds the
        uploads and the POST together."""
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
        with_logs: bool | None = None,
        on_queue_update: Callable[[Status], Any] | None = None,
        client_timeout: float | None = None,
        interval: float | None = None,
        **submit_options: Any,
    ) -> Any:
        """Submit, follow status (calling ``on_update``), and return the result, within ``timeout``.

        ``on_enqueue`` gets the request id once the request is queued. On expiry
        :class:`DeadlineExceeded` carries ``request_id``; the request keeps running and is in
        the journal, so ``client.resume(request_id).result()`` picks it up. fal_client's
        ``with_logs``, ``on_queue_update`` and ``client_timeout`` are accepted as aliases
        (and ``interval``, unused: the status stream needs no polling interval).
        """
        on_update = pick("on_update", on_update, on_queue_update)
        timeout = pick("timeout", timeout, client_timeout)
        logs = pick("logs", logs, with_logs)
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
        (a hard stop: a server that only pings cannot hold the caller).

        The call is journalled when it ends; the iterator's ``request_id`` names the entry."""
        op, record = self._engine.stream_with_record(
            endpoint, arguments, path=path, timeout=timeout, headers=headers
        )
        return StreamIterator(iterate_sync(op, self._http), record)

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
    ) -> Iterator[RequestRecord]:
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
        return iterate_sync(op, self._http)

    def recover(self, entry_or_id: JournalEntry | str, *, timeout: float | None = None) -> Handle:
        """The request behind an ``AMBIGUOUS`` journal entry (a submit whose answer was lost),
        looked up once in fal's request history; its row then names the request. Raises
        :class:`AmbiguousSubmit` while the history does not list it (see ``_reconcile``)."""
        entry = self._engine.ambiguous_entry(entry_or_id)
        op = resolve_entry(self._engine, entry, self._engine.deadline(timeout or 60.0))
        ref = self._run(op)
        if ref is None:
            raise AmbiguousSubmit(
                f"request history does not list the submit journalled as {entry.request_id} "
                f"({entry.endpoint}, input digest {entry.arguments_sha256[:16]}) yet",
                digest=entry.arguments_sha256,
                journal_id=entry.request_id,
            )
        return Handle(self, ref)

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
        return iterate_sync(models_op(self._engine, params, timeout), self._http)

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
        """A :class:`Handle` on any request by id (URLs from the endpoint-id rules)."""
        return Handle.from_request_id(self, endpoint, request_id)

    def resume(self, entry_or_request_id: JournalEntry | str) -> Handle:
        """A handle for a journalled request (by entry or id), using the URLs stored at submit."""
        return Handle(self, self._engine.resume_ref(entry_or_request_id))

    # -- fal_client's names ----------------------------------------------------------------------
    def get_handle(self, application: str, request_id: str) -> Handle:
        """fal_client's name for :meth:`handle`."""
        return self.handle(application, request_id)

    def status(self, application: str, request_id: str, *, with_logs: bool = False) -> Status:
        """One status check of any request (fal_client's ``client.status``)."""
        return self.handle(application, request_id).status(logs=with_logs)

    def result(self, application: str, request_id: str) -> Any:
        """Wait for any request's result (fal_client's ``client.result``)."""
        return self.handle(application, request_id).result()

    def cancel(self, application: str, request_id: str) -> str:
        """Ask the queue to cancel any request (fal_client's ``client.cancel``)."""
        return self.handle(application, request_id).cancel()
