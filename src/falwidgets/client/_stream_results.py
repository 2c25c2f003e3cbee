"""What ``client.stream`` gives back: the partial results of a streaming endpoint's events.

:class:`StreamReader` turns each server-sent event into a dict and each failure into an error
naming the endpoint. A streaming call is not queued, so it is not re-sent after a cut (that would
run the model twice): a stream that breaks mid-way raises :class:`ServerError` saying how many
events arrived. :class:`StreamIterator` / :class:`AsyncStreamIterator` are what
``Client.stream`` / ``AsyncClient.stream`` return: the partial results, plus ``request_id``
(the journal entry's id) once the server answered.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Generator, Iterator
from typing import Any

import httpx
import httpx_sse

from falwidgets.client._call_record import CallRecord
from falwidgets.client._errors import DeadlineExceeded, FalError, ServerError

__all__ = ["AsyncStreamIterator", "StreamIterator", "StreamReader"]


class StreamReader:
    """Turns SSE events into dicts and failures into errors naming the endpoint."""

    def __init__(self, engine: Any, endpoint: str, deadline: Any) -> None:
        self.engine = engine
        self.endpoint = endpoint
        self.deadline = deadline
        self.count = 0

    @property
    def action(self) -> str:
        return f"stream of {self.endpoint}"

    def event(self, event: httpx_sse.ServerSentEvent) -> dict[str, Any] | None:
        if not event.data:
            return None
        try:
            value = json.loads(event.data)
        except ValueError as error:
            raise ServerError(
                f"{self.action}: event {self.count + 1} is not JSON: {event.data[:200]!r}"
            ) from error
        if event.event == "error" or (isinstance(value, dict) and value.get("type") == "error"):
            detail = value.get("error") or value.get("detail") if isinstance(value, dict) else value
            raise ServerError(f"{self.action} reported an error: {detail}", detail=value)
        self.count += 1
        return value if isinstance(value, dict) else {"data": value}

    def check_deadline(self) -> None:
        if self.deadline.expired:
            raise DeadlineExceeded(
                f"{self.action} did not finish within {self.deadline.seconds:g}s "
                f"({self.count} events received)"
            )

    def http_error(self, response: httpx.Response) -> FalError:
        return self.engine.fail(response, self.action)

    def transport_error(self, error: Exception) -> FalError:
        if isinstance(error, httpx.TimeoutException):
            return DeadlineExceeded(f"{self.action}: {type(error).__name__}: {error}")
        return ServerError(f"{self.action}: could not connect: {type(error).__name__}: {error}")

    def cut(self, error: Exception) -> FalError:
        if isinstance(error, httpx.TimeoutException):
            return DeadlineExceeded(
                f"{self.action} went silent ({type(error).__name__}) after {self.count} events"
            )
        return ServerError(
            f"{self.action} was cut after {self.count} events: {type(error).__name__}: {error}"
        )


class StreamIterator(Iterator[dict[str, Any]]):
    """Partial results of ``Client.stream``; ``request_id`` names its journal entry."""

    def __init__(self, items: Generator[Any, None, Any], record: CallRecord) -> None:
        self._items = items
        self._record = record

    @property
    def request_id(self) -> str | None:
        """The server's id (or ``local-…``) once the stream opened; ``None`` before."""
        return self._record.request_id

    def __iter__(self) -> StreamIterator:
        return self

    def __next__(self) -> dict[str, Any]:
        return next(self._items)

    def close(self) -> None:
        """Stop reading (the call is journalled as CANCELLED unless it had ended)."""
        self._items.close()

    def __repr__(self) -> str:
        return f"StreamIterator(endpoint={self._record.endpoint!r}, request_id={self.request_id!r})"


class AsyncStreamIterator(AsyncIterator[dict[str, Any]]):
    """Partial results of ``AsyncClient.stream``; ``request_id`` names its journal entry."""

    def __init__(self, items: Any, record: CallRecord) -> None:
        self._items = items
        self._record = record

    @property
    def request_id(self) -> str | None:
        """The server's id (or ``local-…``) once the stream opened; ``None`` before."""
        return self._record.request_id

    def __aiter__(self) -> AsyncStreamIterator:
        return self

    async def __anext__(self) -> dict[str, Any]:
        return await self._items.__anext__()

    async def aclose(self) -> None:
        """Stop reading (the call is journalled as CANCELLED unless it had ended)."""
        await self._items.aclose()

    def __repr__(self) -> str:
        name = type(self).__name__
        return f"{name}(endpoint={self._record.endpoint!r}, request_id={self.request_id!r})"
