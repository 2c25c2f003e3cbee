"""Handles: one queued request followed from this process (``Handle`` blocking, ``AsyncHandle``
asyncio). Both are thin: every operation is an ``Engine`` op run by the matching driver.

fal_client's names work too: ``get()`` is ``result()``, ``iter_events(with_logs=...)`` is
``events(logs=...)``, and ``status(with_logs=...)`` is ``status(logs=...)``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator
from typing import TYPE_CHECKING, Any

from falwidgets.client._compat import pick
from falwidgets.client._drive import aiterate, iterate_sync, run_async, run_sync
from falwidgets.client._ops import Op
from falwidgets.client._retry import Deadline
from falwidgets.client._status import Completed, Status

if TYPE_CHECKING:
    from falwidgets.client._async import AsyncClient
    from falwidgets.client._engine import Engine, RequestRef
    from falwidgets.client._sync import Client

__all__ = ["AsyncHandle", "Handle", "HandleBase"]


class HandleBase:
    """What sync and async handles share: identity, the statuses and logs seen so far."""

    client: Any

    def __init__(self, client: Any, ref: RequestRef) -> None:
        self.client = client
        self.ref = ref
        self.logs: list[dict[str, Any]] = []  # every log line seen by events(), in order
        self.last_status: Status | None = None

    @property
    def request_id(self) -> str:
        """The queue's id of this request (what ``client.resume`` and the journal use)."""
        return self.ref.request_id

    @property
    def endpoint(self) -> str:
        """The full endpoint id the request was submitted to."""
        return self.ref.endpoint

    def __repr__(self) -> str:
        return f"{type(self).__name__}(endpoint={self.endpoint!r}, request_id={self.request_id!r})"

    @property
    def _engine(self) -> Engine:
        return self.client._engine

    def _seen(self, status: Status) -> None:
        self.last_status = status
        self.logs.extend(getattr(status, "logs", ()))

    def _short_deadline(self) -> Deadline:
        return Deadline(self._engine.timeout.read or 60.0)

    def _status_op(self, logs: bool | None, with_logs: bool | None) -> Op[Status]:
        want = pick("logs", logs, with_logs, False)
        return self._engine.status(self.ref, logs=want, deadline=self._short_deadline())

    def _follow(self, logs: bool, deadline: Deadline, *, reuse: bool = False) -> Op[Any]:
        last = self.last_status if reuse and isinstance(self.last_status, Completed) else None
        return self._engine.follow(
            self.ref, logs=logs, deadline=deadline, sink=self._seen, completed=last
        )

    def _watch(
        self, logs: bool | None, with_logs: bool | None, timeout: float | None
    ) -> Op[Completed | None]:
        want = pick("logs", logs, with_logs, True)
        engine = self._engine
        return engine.watch(self.ref, logs=want, deadline=engine.deadline(timeout), sink=self._seen)

    def _result_op(self, timeout: float | None) -> Op[Any]:
        return self._follow(False, self._engine.deadline(timeout), reuse=True)

    def _cancel_op(self) -> Op[str]:
        return self._engine.cancel(self.ref, deadline=self._short_deadline())


class Handle(HandleBase):
    """One queued request: follow its status and logs, fetch its result, cancel it."""

    client: Client

    @classmethod
    def from_request_id(cls, client: Client, endpoint: str, request_id: str) -> Handle:
        """Resume any request by id (URLs from the endpoint-id rules)."""
        return cls(client, client._engine.ref_for(endpoint, request_id))

    def _run(self, op: Op[Any], on_emit: Callable[[Any], Any] | None = None) -> Any:
        return run_sync(op, self.client._http, on_emit)

    def status(self, logs: bool | None = None, *, with_logs: bool | None = None) -> Status:
        """One status check (polled logs are the full list so far)."""
        self.last_status = self._run(self._status_op(logs, with_logs))
        return self.last_status

    def events(
        self,
        logs: bool | None = None,
        timeout: float | None = None,
        *,
        with_logs: bool | None = None,
    ) -> Iterator[Status]:
        """Status updates until completion; each carries only log lines not seen before.

        Uses the SSE status stream and falls back to polling when it is unavailable or cut.
        Raises :class:`DeadlineExceeded` (with ``request_id``) after ``timeout`` seconds, even
        while the server keeps the stream alive with pings. ``logs`` defaults to ``True``.
        """
        return iterate_sync(self._watch(logs, with_logs, timeout), self.client._http)

    def iter_events(
        self,
        with_logs: bool = False,
        interval: float | None = None,
        *,
        timeout: float | None = None,
    ) -> Iterator[Status]:
        """fal_client's name for :meth:`events` (``interval`` is accepted and unused: the SSE
        stream needs none, and polling backs off on its own)."""
        return self.events(logs=with_logs, timeout=timeout)

    def result(self, timeout: float | None = None) -> Any:
        """Wait for completion (SSE, else polling) and return the output JSON.

        Raises :class:`RequestFailed`/:class:`InputRejected`/:class:`Cancelled` when the request
        failed, :class:`DeadlineExceeded` after ``timeout`` seconds (default: the client's wait).
        """
        return self._run(self._result_op(timeout))

    def get(self, timeout: float | None = None, *, interval: float | None = None) -> Any:
        """fal_client's name for :meth:`result` (``interval`` is accepted and unused)."""
        return self.result(timeout)

    def cancel(self) -> str:
        """Ask the queue to cancel; returns ``CANCELLATION_REQUESTED`` or ``ALREADY_COMPLETED``.

        The job may still complete; ``result()`` says how it ended (and journals it).
        """
        return self._run(self._cancel_op())


class AsyncHandle(HandleBase):
    """One queued request (asyncio): the same methods as :class:`Handle`, awaited."""

    client: AsyncClient

    @classmethod
    def from_request_id(cls, client: AsyncClient, endpoint: str, request_id: str) -> AsyncHandle:
        """Resume any request by id (URLs from the endpoint-id rules)."""
        return cls(client, client._engine.ref_for(endpoint, request_id))

    async def _run(self, op: Op[Any], on_emit: Callable[[Any], Any] | None = None) -> Any:
        return await run_async(op, self.client._http, on_emit)

    async def status(self, logs: bool | None = None, *, with_logs: bool | None = None) -> Status:
        """One status check (polled logs are the full list so far)."""
        self.last_status = await self._run(self._status_op(logs, with_logs))
        return self.last_status

    def events(
        self,
        logs: bool | None = None,
        timeout: float | None = None,
        *,
        with_logs: bool | None = None,
    ) -> AsyncIterator[Status]:
        """Status updates until completion, each with only new log lines (SSE, else polling);
        :class:`DeadlineExceeded` after ``timeout`` seconds. ``logs`` defaults to ``True``."""
        return aiterate(self._watch(logs, with_logs, timeout), self.client._http)

    def iter_events(
        self,
        with_logs: bool = False,
        interval: float | None = None,
        *,
        timeout: float | None = None,
    ) -> AsyncIterator[Status]:
        """fal_client's name for :meth:`events` (``interval`` is accepted and unused)."""
        return self.events(logs=with_logs, timeout=timeout)

    async def result(self, timeout: float | None = None) -> Any:
        """Wait for completion and return the output JSON; raises as :meth:`Handle.result`."""
        return await self._run(self._result_op(timeout))

    async def get(self, timeout: float | None = None, *, interval: float | None = None) -> Any:
        """fal_client's name for :meth:`result` (``interval`` is accepted and unused)."""
        return await self.result(timeout)

    async def cancel(self) -> str:
        """Ask the queue to cancel; returns ``CANCELLATION_REQUESTED`` or ``ALREADY_COMPLETED``."""
        return await self._run(self._cancel_op())
