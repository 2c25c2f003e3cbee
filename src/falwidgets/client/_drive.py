"""Execute sans-IO operations (see ``_ops``) with httpx: one blocking driver, one asyncio driver.

This is the only place that performs I/O, all of it through the client's one httpx client. File
bodies are streamed from disk in 1 MiB chunks; the async driver reads them in a worker thread so
the event loop never blocks on disk. Server-sent events are decoded by httpx-sse (lines end only
at CR, LF or CRLF, as the SSE specification says).

Streams (:class:`Open`) carry a hard stop. httpx's read timeout restarts with every byte, so a
server that pings forever would hold a reader forever; the async driver bounds each event read by
the time left, and the sync driver has one watchdog thread that shuts the socket of a read still
blocked at its stop time (through httpcore's documented ``network_stream`` response extension).
"""

from __future__ import annotations

import asyncio
import contextlib
import heapq
import inspect
import itertools
import socket
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Generator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx
from httpx_sse import EventSource, ServerSentEvent

from falwidgets.client._ops import (
    Blocking,
    Call,
    Close,
    Emit,
    FileSlice,
    Op,
    Open,
    Parallel,
    ReadEvent,
    Sleep,
    Wait,
)

__all__ = ["aiterate", "build_request", "iterate_sync", "run_async", "run_sync"]

T = TypeVar("T")
CHUNK = 1 << 20
_STREAM_ERRORS = (httpx.HTTPError, httpx.StreamError)
_timeout_ctx = getattr(asyncio, "timeout", None)  # Python >= 3.11: no task per read


def _file_chunks(part: FileSlice) -> Iterator[bytes]:
    with open(part.path, "rb") as handle:
        handle.seek(part.offset)
        left = part.length
        while left > 0:
            chunk = handle.read(min(CHUNK, left))
            if not chunk:
                raise OSError(f"{part.path} shrank while it was being uploaded")
            left -= len(chunk)
            yield chunk


async def _afile_chunks(part: FileSlice) -> AsyncIterator[bytes]:
    handle = await asyncio.to_thread(open, part.path, "rb")
    try:
        await asyncio.to_thread(handle.seek, part.offset)
        left = part.length
        while left > 0:
            chunk = await asyncio.to_thread(handle.read, min(CHUNK, left))
            if not chunk:
                raise OSError(f"{part.path} shrank while it was being uploaded")
            left -= len(chunk)
            yield chunk
    finally:
        await asyncio.to_thread(handle.close)


def build_request(http: httpx.Client | httpx.AsyncClient, call: Call) -> httpx.Request:
    """An ``httpx.Request`` for ``call``; file bodies become a (sync or async) chunk stream.

    Built with ``httpx.Request`` rather than ``client.build_request``: our URLs are absolute, so
    the client's URL and parameter merging (a sixth of a job's CPU) is skipped. The client's
    default headers (httpx's Accept, Accept-Encoding, ...) still apply; the call's headers win.
    """
    headers = httpx.Headers(http.headers)
    headers.update(call.headers)
    timeout = call.timeout if call.timeout is not None else http.timeout
    kwargs: dict[str, Any] = {
        "headers": headers,
        "params": call.params,
        "extensions": {"timeout": timeout.as_dict()},
    }
    if call.has_json:
        kwargs["json"] = call.json
    elif call.file is not None:
        is_async = isinstance(http, httpx.AsyncClient)
        kwargs["content"] = _afile_chunks(call.file) if is_async else _file_chunks(call.file)
        headers["content-length"] = str(call.file.length)
    elif call.content is not None:
        kwargs["content"] = call.content
    return httpx.Request(call.method, call.url, **kwargs)


def _past_stop() -> httpx.ReadTimeout:
    return httpx.ReadTimeout("the wait's deadline passed while the stream was open")


# -- sync ------------------------------------------------------------------------------------


class _Watchdog:
    """One daemon thread that calls ``abort`` callbacks at their time (sync stream stops)."""

    def __init__(self) -> None:
        self._heap: list[tuple[float, int, list[Callable[[], None] | None]]] = []
        self._cond = threading.Condition()
        self._seq = itertools.count()
        self._thread: threading.Thread | None = None

    def arm(self, at: float, abort: Callable[[], None]) -> list[Callable[[], None] | None]:
        entry: list[Callable[[], None] | None] = [abort]
        with self._cond:
            if len(self._heap) > 1024:  # disarmed alarms wait for their time: prune them
                self._heap = [item for item in self._heap if item[2][0] is not None]
                heapq.heapify(self._heap)
            heapq.heappush(self._heap, (at, next(self._seq), entry))
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(
                    target=self._run, name="falwidgets-stream-deadlines", daemon=True
                )
                self._thread.start()
            elif self._heap[0][2] is entry:
                self._cond.notify()
        return entry

    def _run(self) -> None:
        while True:
            with self._cond:
                while True:
                    while self._heap and self._heap[0][2][0] is None:
                        heapq.heappop(self._heap)
                    if not self._heap:
                        self._cond.wait()
                        continue
                    wait = self._heap[0][0] - time.monotonic()
                    if wait <= 0:
                        entry = heapq.heappop(self._heap)[2]
                        abort, entry[0] = entry[0], None
                        break
                    self._cond.wait(wait)
            if abort is not None:
                with contextlib.suppress(Exception):  # best effort: the reader fails anyway
                    abort()


_WATCHDOG = _Watchdog()


class _SyncStream:
    """An open response, its event iterator, and its watchdog alarm."""

    __slots__ = ("aborted", "alarm", "closed", "events", "lock", "response")

    def __init__(self, response: httpx.Response, until: float | None) -> None:
        self.response = response
        self.events: Iterator[ServerSentEvent] | None = None
        self.lock = threading.Lock()
        self.closed = self.aborted = False
        self.alarm = None if until is None else _WATCHDOG.arm(until, self.abort)

    def abort(self) -> None:
        with self.lock:
            if self.closed:
                return
            self.aborted = True
            stream = self.response.extensions.get("network_stream")
            sock = stream.get_extra_info("socket") if stream is not None else None
            if isinstance(sock, socket.socket):
                sock.shutdown(socket.SHUT_RDWR)  # wakes a blocked recv; close() would not
            else:
                self.response.close()

    def read(self, within: float | None = None) -> ServerSentEvent | Exception | None:
        if self.aborted:
            return _past_stop()
        if self.events is None:
            self.events = EventSource(self.response).iter_sse()
        alarm = None if within is None else _WATCHDOG.arm(time.monotonic() + within, self.abort)
        try:
            event = next(self.events, None)
        except _STREAM_ERRORS as error:
            return _past_stop() if self.aborted else error
        except ValueError as error:  # "generator already executing" after an abort
            if self.aborted:
                return _past_stop()
            raise error
        finally:
            if alarm is not None:
                alarm[0] = None
        return _past_stop() if self.aborted else event

    def close(self) -> None:
        with self.lock:
            self.closed = True
            if self.alarm is not None:
                self.alarm[0] = None
        self.response.close()


class _SyncSteps:
    """Performs the steps of one op (and remembers the streams it opened)."""

    def __init__(self, http: httpx.Client) -> None:
        self.http = http
        self.open: dict[int, _SyncStream] = {}

    def do(self, step: Any) -> Any:
        if isinstance(step, Call):
            try:
                return self.http.send(build_request(self.http, step))
            except httpx.TransportError as error:
                return error
        if isinstance(step, ReadEvent):
            return self.open[id(step.response)].read(step.within)
        if isinstance(step, Sleep):
            time.sleep(step.seconds)
            return None
        if isinstance(step, Blocking):
            return step.fn(*step.args, **step.kwargs)
        if isinstance(step, Wait):
            return step.future.result()
        if isinstance(step, Open):
            try:
                response = self.http.send(build_request(self.http, step.call), stream=True)
            except httpx.TransportError as error:
                return error
            self.open[id(response)] = _SyncStream(response, step.until)
            if response.status_code != 200:
                response.read()
            return response
        if isinstance(step, Close):
            stream = self.open.pop(id(step.response), None)
            if stream is not None:
                stream.close()
            return None
        if isinstance(step, Parallel):
            with ThreadPoolExecutor(max_workers=max(1, step.limit)) as pool:
                futures = [pool.submit(run_sync, sub, self.http) for sub in step.ops]
                return [f.result() for f in futures]
        raise TypeError(f"unknown operation step {step!r}")  # pragma: no cover

    def close_all(self) -> None:
        streams, self.open = list(self.open.values()), {}
        for stream in streams:
            with contextlib.suppress(Exception):  # the op's own outcome matters more
                stream.close()


def iterate_sync(op: Op[T], http: httpx.Client) -> Generator[Any, None, T]:
    """Drive ``op``, yielding each value it emits; the generator returns the op's value."""
    steps = _SyncSteps(http)
    value: Any = None
    try:
        while True:
            try:
                step = op.send(value)
            except StopIteration as stop:
                return stop.value
            if isinstance(step, Emit):
                yield step.value
                value = None
            else:
                value = steps.do(step)
    finally:
        op.close()
        steps.close_all()


def run_sync(
    op: Op[T],
    http: httpx.Client,
    on_emit: Callable[[Any], Any] | None = None,
) -> T:
    """Drive ``op`` to completion with blocking I/O, passing emitted values to ``on_emit``."""
    items = iterate_sync(op, http)
    try:
        while True:
            try:
                item = next(items)
            except StopIteration as stop:
                return stop.value
            if on_emit is not None:
                on_emit(item)
    finally:
        items.close()


# -- async -----------------------------------------------------------------------------------


class _AsyncStream:
    __slots__ = ("events", "response", "until")

    def __init__(self, response: httpx.Response, until: float | None) -> None:
        self.response = response
        self.until = until
        self.events: AsyncGenerator[ServerSentEvent, None] | None = None

    async def read(self, within: float | None = None) -> ServerSentEvent | Exception | None:
        if self.events is None:
            self.events = EventSource(self.response).aiter_sse()
        try:
            if self.until is None and within is None:
                return await self.events.__anext__()
            left = min(
                float("inf") if self.until is None else self.until - time.monotonic(),
                float("inf") if within is None else within,
            )
            if left <= 0:
                return _past_stop()
            if _timeout_ctx is not None:
                async with _timeout_ctx(left):
                    return await self.events.__anext__()
            return await asyncio.wait_for(self.events.__anext__(), left)
        except StopAsyncIteration:
            return None
        except (asyncio.TimeoutError, TimeoutError):
            return _past_stop()
        except _STREAM_ERRORS as error:
            return error

    async def close(self) -> None:
        """Close the event decoder first (an async generator must not be left to the GC),
        then the response."""
        try:
            if self.events is not None:
                await self.events.aclose()
        finally:
            await self.response.aclose()


class _AsyncSteps:
    def __init__(self, http: httpx.AsyncClient) -> None:
        self.http = http
        self.open: dict[int, _AsyncStream] = {}

    async def do(self, step: Any) -> Any:
        if isinstance(step, Call):
            try:
                return await self.http.send(build_request(self.http, step))
            except httpx.TransportError as error:
                return error
        if isinstance(step, ReadEvent):
            return await self.open[id(step.response)].read(step.within)
        if isinstance(step, Sleep):
            await asyncio.sleep(step.seconds)
            return None
        if isinstance(step, Blocking):
            return await asyncio.to_thread(step.fn, *step.args, **step.kwargs)
        if isinstance(step, Wait):
            return await asyncio.wrap_future(step.future)
        if isinstance(step, Open):
            try:
                request = build_request(self.http, step.call)
                response = await self.http.send(request, stream=True)
            except httpx.TransportError as error:
                return error
            self.open[id(response)] = _AsyncStream(response, step.until)
            if response.status_code != 200:
                await response.aread()
            return response
        if isinstance(step, Close):
            stream = self.open.pop(id(step.response), None)
            if stream is not None:
                await stream.close()
            return None
        if isinstance(step, Parallel):
            return await _gather(step, self.http)
        raise TypeError(f"unknown operation step {step!r}")  # pragma: no cover

    async def close_all(self) -> None:
        streams, self.open = list(self.open.values()), {}
        interrupted: BaseException | None = None
        for stream in streams:  # every one is closed, whatever happens
            try:
                await stream.close()
            except Exception:  # the op's own outcome matters more
                pass
            except BaseException as error:  # a cancellation: close the rest, then re-raise
                interrupted = interrupted or error
        if interrupted is not None:
            raise interrupted


async def _gather(step: Parallel, http: httpx.AsyncClient) -> list[Any]:
    gate = asyncio.Semaphore(max(1, step.limit))

    async def one(sub: Op[Any]) -> Any:
        async with gate:
            return await run_async(sub, http)

    tasks = [asyncio.ensure_future(one(sub)) for sub in step.ops]
    try:
        return list(await asyncio.gather(*tasks))
    except BaseException:  # one part failed: the others stop too (no uploads left running)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise


async def run_async(
    op: Op[T],
    http: httpx.AsyncClient,
    on_emit: Callable[[Any], Any] | None = None,
) -> T:
    """Drive ``op`` on the running loop; ``on_emit`` may be a plain or an async callable."""
    steps = _AsyncSteps(http)
    value: Any = None
    try:
        while True:
            try:
                step = op.send(value)
            except StopIteration as stop:
                return stop.value
            if isinstance(step, Emit):
                value = None
                if on_emit is not None:
                    outcome = on_emit(step.value)
                    if inspect.isawaitable(outcome):
                        await outcome
            else:
                value = await steps.do(step)
    finally:
        op.close()
        await steps.close_all()


async def aiterate(op: Op[Any], http: httpx.AsyncClient) -> AsyncIterator[Any]:
    """Drive ``op``, yielding each value it emits (its return value is dropped)."""
    steps = _AsyncSteps(http)
    value: Any = None
    try:
        while True:
            try:
                step = op.send(value)
            except StopIteration:
                return
            if isinstance(step, Emit):
                yield step.value
                value = None
            else:
                value = await steps.do(step)
    finally:
        op.close()
        await steps.close_all()
