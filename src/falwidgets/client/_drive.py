"""Execute sans-IO operations (see ``_ops``) with httpx: one blocking driver, one asyncio driver.

This is the only place that performs I/O. File bodies are streamed from disk in 1 MiB chunks; the
async driver reads them in a worker thread so the event loop never blocks on disk.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any, TypeVar

import httpx

from falwidgets.client._ops import Blocking, Call, FileSlice, Op, Parallel, Sleep

__all__ = ["build_request", "run_async", "run_sync"]

T = TypeVar("T")
CHUNK = 1 << 20


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
    """An ``httpx.Request`` for ``call``; file bodies become a (sync or async) chunk stream."""
    kwargs: dict[str, Any] = {"headers": call.headers, "params": call.params}
    if call.timeout is not None:
        kwargs["timeout"] = call.timeout
    if call.has_json:
        kwargs["json"] = call.json
    elif call.file is not None:
        is_async = isinstance(http, httpx.AsyncClient)
        kwargs["content"] = _afile_chunks(call.file) if is_async else _file_chunks(call.file)
        kwargs["headers"] = {**call.headers, "content-length": str(call.file.length)}
    elif call.content is not None:
        kwargs["content"] = call.content
    return http.build_request(call.method, call.url, **kwargs)


def run_sync(op: Op[T], http: httpx.Client) -> T:
    """Drive ``op`` to completion with blocking I/O."""
    value: Any = None
    while True:
        try:
            step = op.send(value)
        except StopIteration as stop:
            return stop.value
        if isinstance(step, Call):
            try:
                value = http.send(build_request(http, step))
            except httpx.TransportError as error:
                value = error
        elif isinstance(step, Sleep):
            time.sleep(step.seconds)
            value = None
        elif isinstance(step, Blocking):
            value = step.fn(*step.args, **step.kwargs)
        elif isinstance(step, Parallel):
            with ThreadPoolExecutor(max_workers=max(1, step.limit)) as pool:
                futures = [pool.submit(run_sync, sub, http) for sub in step.ops]
                value = [f.result() for f in futures]
        else:  # pragma: no cover - programming error
            raise TypeError(f"unknown operation step {step!r}")


async def _gather(step: Parallel, http: httpx.AsyncClient) -> list[Any]:
    gate = asyncio.Semaphore(max(1, step.limit))

    async def one(sub: Op[Any]) -> Any:
        async with gate:
            return await run_async(sub, http)

    return list(await asyncio.gather(*(one(sub) for sub in step.ops)))


async def run_async(op: Op[T], http: httpx.AsyncClient) -> T:
    """Drive ``op`` to completion on the running event loop."""
    value: Any = None
    while True:
        try:
            step = op.send(value)
        except StopIteration as stop:
            return stop.value
        if isinstance(step, Call):
            try:
                value = await http.send(build_request(http, step))
            except httpx.TransportError as error:
                value = error
        elif isinstance(step, Sleep):
            await asyncio.sleep(step.seconds)
            value = None
        elif isinstance(step, Blocking):
            value = await asyncio.to_thread(step.fn, *step.args, **step.kwargs)
        elif isinstance(step, Parallel):
            value = await _gather(step, http)
        else:  # pragma: no cover - programming error
            raise TypeError(f"unknown operation step {step!r}")
