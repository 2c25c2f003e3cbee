"""fal's realtime WebSocket endpoints: ``client.realtime(endpoint)`` (fal-platform.md section 3).

The official Python client offers a bare ``send()``/``recv()``; this one behaves like fal's JS
client, which is what a live UI needs:

- **Token**: a short-lived JWT minted at ``<rest>/tokens/`` (through the workshop proxy in proxy
  mode); the key goes only into that HTTPS call's header, never into the socket URL. A token is
  re-minted before a connection once 90 % of its life has passed (JS refreshes at 90 % too).
- **Latest input wins**: at most one input is in flight. ``send`` while one is in flight, or
  within ``throttle`` seconds of the last send, parks the input; a newer ``send`` replaces the
  parked one (``dropped_inputs`` counts them). The parked input goes out when the frame arrives
  and the throttle interval has passed, so a slow consumer or a slow app never builds a backlog.
- **Control frames**: timings become ``RealtimeFrame.timing``; the idle ``TIMEOUT`` closes the
  session quietly and the next ``send`` reconnects; ``VALIDATION_ERROR`` raises
  :class:`InputRejected` from ``recv`` (the session stays usable), other errors
  :class:`RealtimeError`, a refused handshake :class:`AuthError`/:class:`NotFound`.
- **Deadlines** on the mint, the handshake, each send and each ``recv``; ``close`` is bounded too.

``AsyncRealtime`` is the implementation; ``Realtime`` drives it from blocking code on a private
event-loop thread, so it also works inside Jupyter (whose own loop is already running).
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import threading
import time
from collections.abc import AsyncIterator, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar
from urllib.parse import urlencode, urlsplit

import httpx
import msgpack

from falwidgets._endpoint_id import parse_endpoint
from falwidgets.client._auth import Credentials
from falwidgets.client._errors import (
    DeadlineExceeded,
    FalError,
    InputRejected,
    add_secrets,
    error_from_response,
    normalize_validation_errors,
)

__all__ = ["AsyncRealtime", "Realtime", "RealtimeError", "RealtimeFrame", "RealtimeTarget"]

T = TypeVar("T")

TOKEN_TTL = 120  # seconds; what fal's clients ask for
REFRESH_AT = 0.9  # re-mint once 90 % of a token's life has passed
MAX_BUFFERING = (1, 60)
MAX_FRAME = 32 * 1024 * 1024  # one result frame (images travel inline)
REAL_REST_URL = "https://rest.fal.ai"  # what a proxy is told to reach (x-fal-target-url)


class RealtimeError(FalError):
    """An ``x-fal-error`` control frame (``error``: ``INTERNAL_ERROR``, ...) or a lost socket."""

    def __init__(self, error: str, reason: str = "", **kwargs: Any) -> None:
        self.error = error
        self.reason = reason
        text = f"realtime {error}" + (f": {reason}" if reason else "")
        super().__init__(text, error_type=error, **kwargs)


@dataclass
class RealtimeFrame:
    """One result: ``data`` (the app's output), the ``input`` it answers, the send->frame
    ``latency`` in seconds and the app's own ``timing`` when it sends one."""

    data: dict[str, Any]
    input: dict[str, Any] | None
    latency: float
    timing: float | None = None
    received_at: float = field(default_factory=time.monotonic)


@dataclass(frozen=True)
class RealtimeTarget:
    """Where a client's realtime calls go: its run and rest hosts, or its proxy; the key."""

    run_url: str
    rest_url: str
    proxy_url: str | None
    creds: Credentials = field(repr=False)
    timeout: float = 15.0

    @classmethod
    def from_engine(cls, engine: Any) -> RealtimeTarget:
        """From a ``Client``'s or ``AsyncClient``'s engine (hosts, proxy URL, credentials)."""
        connect = getattr(engine.timeout, "connect", None) or 10.0
        return cls(
            engine.hosts.run, engine.hosts.rest, engine.proxy_url, engine.creds, float(connect)
        )

    def socket_base(self) -> str:
        """``ws(s)://`` base of fal.run (or of the proxy, which mirrors fal.run's paths)."""
        if self.proxy_url:
            parts = urlsplit(self.proxy_url)
            base = f"{parts.scheme}://{parts.netloc}"
        else:
            base = self.run_url.rstrip("/")
        return "ws" + base[len("http") :] if base.startswith("http") else base

    def token_request(self, alias: str, ttl: int) -> tuple[str, dict[str, str], bytes]:
        """(url, headers, body) of the token mint; the key only ever in the header."""
        body = json.dumps({"allowed_apps": [alias], "token_expiration": ttl}).encode()
        headers = {"content-type": "application/json", "accept": "application/json"}
        if self.proxy_url:
            headers["x-fal-target-url"] = f"{REAL_REST_URL}/tokens/"
            if self.creds.key:
                headers["authorization"] = f"Key {self.creds.key}"
            return self.proxy_url, headers, body
        url = f"{self.rest_url.rstrip('/')}/tokens/"
        self.creds.require(urlsplit(url).hostname or "")
        auth = self.creds.header_for(urlsplit(url).hostname or "")
        if auth:
            headers["authorization"] = auth
        return url, headers, body


def _parse_token(data: Any) -> str | None:
    if isinstance(data, str):
        return data
    if isinstance(data, dict):
        for key in ("token", "detail"):
            if isinstance(data.get(key), str):
                return data[key]
    return None


def _check_buffering(value: int | None) -> int | None:
    low, high = MAX_BUFFERING
    if value is not None and (
        isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high
    ):
        raise ValueError(
            f"max_buffering must be a whole number from {low} to {high}, got {value!r}"
        )
    return value


class AsyncRealtime:
    """A realtime session (async). Use ``async with client.realtime(...) as rt``."""

    def __init__(
        self,
        target: RealtimeTarget,
        endpoint: str,
        *,
        path: str = "/realtime",
        max_buffering: int | None = None,
        throttle: float = 0.128,
        token_expiration: int = TOKEN_TTL,
        max_results: int = 16,
        result_timeout: float = 60.0,
    ) -> None:
        self._endpoint = parse_endpoint(endpoint)
        if not isinstance(path, str):
            raise TypeError(f"path must be a string like '/realtime', got {path!r}")
        if throttle is None or throttle < 0:
            raise ValueError(f"throttle must be >= 0 seconds, got {throttle!r}")
        if not isinstance(token_expiration, int) or not 1 <= token_expiration <= 3600:
            raise ValueError(f"token_expiration must be 1..3600 s, got {token_expiration!r}")
        self.target = target
        self.endpoint = self._endpoint.full
        self.path = ("/" + path.strip("/")) if path.strip("/") else ""
        self.max_buffering = _check_buffering(max_buffering)
        self.throttle = float(throttle)
        self.token_expiration = token_expiration
        self.result_timeout = result_timeout
        self.dropped_inputs = 0  # inputs replaced by a newer one before they were sent
        self.dropped_results = 0  # frames pushed out of the result buffer unread
        self.connections = 0
        self.token_mints = 0
        self.timeouts = 0  # idle TIMEOUT frames seen
        self._token: tuple[str, float] | None = None  # (token, re-mint after monotonic time)
        self._ws: Any = None
        self._reader: asyncio.Task[None] | None = None
        self._pending: tuple[dict[str, Any], bytes] | None = None
        self._inflight: tuple[dict[str, Any], float, Any] | None = None  # (input, sent, socket)
        self._last_sent = -1e9
        self._last_frame: RealtimeFrame | None = None
        self._results: collections.deque[RealtimeFrame | FalError] = collections.deque(
            maxlen=max_results
        )
        self._arrived = asyncio.Event()
        self._pump_lock = asyncio.Lock()
        self._timer: asyncio.TimerHandle | None = None
        self._tasks: set[asyncio.Task[Any]] = set()
        self._closed = False

    def __repr__(self) -> str:
        state = "closed" if self._closed else ("open" if self._ws is not None else "idle")
        return f"<AsyncRealtime {self.endpoint}{self.path} {state}>"

    # -- public ---------------------------------------------------------------------------------
    @property
    def connected(self) -> bool:
        return self._ws is not None

    async def connect(self) -> None:
        """Open the socket now (``send`` also opens it when needed)."""
        self._check_open()
        if self._ws is None:
            await self._connect()

    async def send(self, arguments: dict[str, Any]) -> None:
        """Queue ``arguments`` as the latest input (see the module docstring)."""
        self._check_open()
        if not isinstance(arguments, dict):
            raise TypeError(f"realtime input must be a dict, got {type(arguments).__name__}")
        try:
            payload = msgpack.packb(arguments, use_bin_type=True)
        except (TypeError, ValueError) as exc:
            raise TypeError(f"realtime input cannot be encoded as msgpack: {exc}") from None
        if self._pending is not None:
            self.dropped_inputs += 1
        self._pending = (arguments, payload)
        await self._pump()

    async def recv(self, timeout: float = 30.0) -> RealtimeFrame:
        """The next frame (oldest first); raises the session's errors in order, and
        :class:`DeadlineExceeded` when nothing arrives within ``timeout`` seconds."""
        self._check_open()
        deadline = time.monotonic() + timeout
        while not self._results:
            self._arrived.clear()
            left = deadline - time.monotonic()
            if left <= 0:
                raise DeadlineExceeded(
                    f"no realtime frame from {self.endpoint} within {timeout:g} s"
                )
            try:
                await asyncio.wait_for(self._arrived.wait(), left)
            except asyncio.TimeoutError:
                continue
            self._check_open()
        item = self._results.popleft()
        if isinstance(item, FalError):
            raise item
        return item

    def latest(self) -> RealtimeFrame | None:
        """The newest frame received, discarding older unread ones (errors are kept)."""
        newest = None
        kept: list[FalError] = []
        while self._results:
            item = self._results.popleft()
            if isinstance(item, FalError):
                kept.append(item)
            else:
                newest = item
        self._results.extend(kept)
        return newest

    async def frames(self, timeout: float = 30.0) -> AsyncIterator[RealtimeFrame]:
        """Every frame as it arrives, until ``close``; each wait bounded by ``timeout``."""
        while not self._closed:
            yield await self.recv(timeout)

    async def close(self, timeout: float = 5.0) -> None:
        """Close the socket (normal close, bounded by ``timeout``) and stop background work."""
        if self._closed:
            return
        self._closed = True
        if self._timer is not None:
            self._timer.cancel()
        ws, self._ws = self._ws, None
        if ws is not None:
            with contextlib.suppress(asyncio.TimeoutError, OSError):
                await asyncio.wait_for(ws.close(), timeout)
        tasks = [t for t in (self._reader, *self._tasks) if t is not None]
        for task in tasks:
            task.cancel()
        if tasks:
            await asyncio.wait(tasks, timeout=timeout)
        self._arrived.set()

    async def __aenter__(self) -> AsyncRealtime:
        await self.connect()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.close()

    # -- connection -----------------------------------------------------------------------------
    def _check_open(self) -> None:
        if self._closed:
            raise RealtimeError("CLOSED", "this realtime session was closed")

    async def _mint(self) -> str:
        url, headers, body = self.target.token_request(self._endpoint.app, self.token_expiration)
        timeout = httpx.Timeout(self.target.timeout)
        try:
            async with httpx.AsyncClient(timeout=timeout) as http:
                response = await http.post(url, headers=headers, content=body)
        except httpx.TimeoutException:
            raise DeadlineExceeded(
                f"realtime token for {self.endpoint}: no answer within {self.target.timeout:g} s"
            ) from None
        except httpx.HTTPError as exc:
            raise RealtimeError(
                "TOKEN_UNREACHABLE", f"cannot reach the token service ({type(exc).__name__})"
            ) from None
        secrets = (self.target.creds.key,) if self.target.creds.key else ()
        if response.status_code >= 400:
            raise error_from_response(
                response, action=f"realtime token for {self.endpoint}", secrets=secrets
            )
        try:
            token = _parse_token(response.json())
        except ValueError:
            token = None
        if not token:
            raise RealtimeError("BAD_TOKEN", "the token service answered without a token")
        add_secrets(token)  # a token in a URL never reaches a message or log
        self.token_mints += 1
        self._token = (token, time.monotonic() + REFRESH_AT * self.token_expiration)
        return token

    async def _fresh_token(self) -> str:
        if self._token is None or time.monotonic() >= self._token[1]:
            return await self._mint()
        return self._token[0]

    def _url(self, token: str) -> str:
        query: dict[str, str] = {"fal_jwt_token": token}
        if self.max_buffering is not None:
            query["max_buffering"] = str(self.max_buffering)
        return f"{self.target.socket_base()}/{self.endpoint}{self.path}?{urlencode(query)}"

    async def _connect(self) -> None:
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidHandshake, InvalidStatus

        token = await self._fresh_token()
        try:
            ws = await connect(
                self._url(token),
                open_timeout=self.target.timeout,
                close_timeout=5,
                max_size=MAX_FRAME,
                compression=None,
                user_agent_header="falwidgets",
            )
        except InvalidStatus as exc:
            response = exc.response
            if response.status_code in (401, 403):
                self._token = None  # the next connection mints a fresh one
            kind = response.headers.get("content-type") or "text/plain"
            http = httpx.Response(
                response.status_code,
                headers={"content-type": kind},
                content=bytes(response.body or b""),
            )
            raise error_from_response(
                http, action=f"realtime connection to {self.endpoint}"
            ) from None
        except asyncio.TimeoutError:
            raise DeadlineExceeded(
                f"realtime connection to {self.endpoint}: no handshake within "
                f"{self.target.timeout:g} s"
            ) from None
        except (OSError, InvalidHandshake) as exc:
            raise RealtimeError(
                "CONNECTION_FAILED", f"cannot open the socket to {self.endpoint} ({exc})"
            ) from None
        self.connections += 1
        self._ws = ws
        self._reader = asyncio.create_task(self._read(ws))

    # -- sending --------------------------------------------------------------------------------
    async def _pump(self) -> None:
        """Send the parked input if nothing is in flight and the throttle interval has passed."""
        from websockets.exceptions import ConnectionClosed

        async with self._pump_lock:
            for attempt in range(2):  # a socket the idle TIMEOUT just closed gets one retry
                if self._closed or self._pending is None:
                    return
                now = time.monotonic()
                if self._inflight is not None:
                    if now - self._inflight[1] < self.result_timeout:
                        return
                    self._inflight = None  # its answer is lost: do not wait for it forever
                wait = self._last_sent + self.throttle - now
                if wait > 0 and attempt == 0:
                    if self._timer is None:
                        loop = asyncio.get_running_loop()
                        self._timer = loop.call_later(wait, self._on_timer)
                    return
                if self._ws is None:
                    await self._connect()
                ws = self._ws
                arguments, payload = self._pending
                self._pending = None
                self._inflight = (arguments, time.monotonic(), ws)
                self._last_sent = self._inflight[1]
                try:
                    await self._send_frame(ws, payload)
                    return
                except ConnectionClosed:
                    if self._inflight is not None and self._inflight[2] is ws:
                        self._inflight = None
                    if self._pending is None:  # unless a newer input (or the reader) parked one
                        self._pending = (arguments, payload)
                    if self._ws is ws:
                        self._ws = None
            raise RealtimeError("SEND_FAILED", f"the socket to {self.endpoint} kept closing")

    async def _send_frame(self, ws: Any, payload: bytes) -> None:
        from websockets.exceptions import ConnectionClosed

        try:
            await asyncio.wait_for(ws.send(payload), self.target.timeout)
        except ConnectionClosed:
            raise
        except asyncio.TimeoutError:
            self._inflight = None
            raise DeadlineExceeded(
                f"realtime send to {self.endpoint} blocked for {self.target.timeout:g} s"
            ) from None
        except Exception as exc:
            self._inflight = None
            if self._ws is ws:
                self._ws = None
            raise RealtimeError("SEND_FAILED", f"{type(exc).__name__}") from None

    def _on_timer(self) -> None:
        self._timer = None
        self._spawn(self._pump())

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(self._guard(coro))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _guard(self, coro: Coroutine[Any, Any, None]) -> None:
        """Background pumps report their failures through ``recv``, never as lost tasks."""
        try:
            await coro
        except FalError as exc:
            self._push(exc)
        except Exception as exc:  # pragma: no cover - a bug; still surfaced to the reader
            self._push(RealtimeError("CLIENT_ERROR", f"{type(exc).__name__}: {exc}"))

    # -- receiving ------------------------------------------------------------------------------
    def _push(self, item: RealtimeFrame | FalError) -> None:
        if len(self._results) == self._results.maxlen:
            self.dropped_results += 1
        self._results.append(item)
        self._arrived.set()

    async def _read(self, ws: Any) -> None:
        from websockets.exceptions import ConnectionClosed

        ended_by_timeout = False
        try:
            async for message in ws:
                if isinstance(message, (bytes, bytearray, memoryview)):
                    self._on_result(msgpack.unpackb(bytes(message), raw=False))
                    continue
                try:
                    payload = json.loads(message)
                except ValueError:
                    self._on_result({"type": "text", "payload": message})
                    continue
                if self._on_control(payload):
                    ended_by_timeout = True
        except ConnectionClosed:
            pass
        except Exception as exc:  # an undecodable frame: report it, the socket is unusable
            self._push(RealtimeError("BAD_FRAME", f"{type(exc).__name__}: {exc}"))
        finally:
            if self._ws is ws:
                self._ws = None
            lost = self._inflight
            if lost is not None and lost[2] is ws and not self._closed:
                self._inflight = None
                if ended_by_timeout:  # sent as the idle session ended: send it again
                    if self._pending is None:
                        payload = msgpack.packb(lost[0], use_bin_type=True)
                        self._pending = (lost[0], payload)
                else:
                    self._push(RealtimeError("CONNECTION_CLOSED", "the socket closed mid-request"))
            if self._pending is not None and not self._closed:
                self._spawn(self._pump())  # reconnect for the parked input

    def _on_result(self, data: Any) -> None:
        sent_input, sent_at, _ = self._inflight or (None, time.monotonic(), None)
        self._inflight = None
        frame = RealtimeFrame(
            data if isinstance(data, dict) else {"payload": data},
            sent_input,
            time.monotonic() - sent_at,
        )
        self._last_frame = frame
        self._push(frame)
        if self._pending is not None:
            self._spawn(self._pump())

    def _on_control(self, payload: Any) -> bool:
        """Handle a JSON text frame; True when it was the idle ``TIMEOUT``."""
        if not isinstance(payload, dict):
            self._on_result({"payload": payload})
            return False
        kind = payload.get("type")
        if kind == "x-fal-message":
            if payload.get("action") == "timings" and self._last_frame is not None:
                timing = payload.get("timing")
                if isinstance(timing, (int, float)):
                    self._last_frame.timing = float(timing)
            return False
        if kind == "x-fal-error":
            error = str(payload.get("error") or "UNKNOWN_ERROR")
            reason = str(payload.get("reason") or "")
            if error == "TIMEOUT":
                self.timeouts += 1
                return True
            self._inflight = None
            if error == "VALIDATION_ERROR":
                errors = normalize_validation_errors(payload.get("detail") or reason)
                self._push(
                    InputRejected(
                        f"realtime input for {self.endpoint} is invalid: {reason}",
                        errors=errors,
                        error_type=error,
                        detail=payload.get("detail"),
                    )
                )
            else:
                self._push(RealtimeError(error, reason, detail=payload))
            if self._pending is not None:
                self._spawn(self._pump())
            return False
        if payload.get("status") == "error":
            from falwidgets.client._errors import AuthError

            self._token = None
            self._inflight = None
            self._push(AuthError(f"realtime {self.endpoint}: {payload.get('error')}"))
            return False
        self._on_result(payload)
        return False


class Realtime:
    """A realtime session for blocking code: the same API as :class:`AsyncRealtime`, run on a
    private event-loop thread (so it works where a loop is already running, e.g. Jupyter)."""

    def __init__(self, target: RealtimeTarget, endpoint: str, **options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(
            target=self._loop.run_forever, name="falwidgets-realtime", daemon=True
        )
        self._thread.start()
        try:
            self._session: AsyncRealtime = self._call(self._make(target, endpoint, options), 5)
        except BaseException:
            self._stop_loop()
            raise

    @staticmethod
    async def _make(
        target: RealtimeTarget, endpoint: str, options: dict[str, Any]
    ) -> AsyncRealtime:
        return AsyncRealtime(target, endpoint, **options)  # its Event belongs to this loop

    def _call(self, coro: Coroutine[Any, Any, T], timeout: float) -> T:
        if self._loop.is_closed():
            coro.close()
            raise RealtimeError("CLOSED", "this realtime session was closed")
        future = asyncio.run_coroutine_threadsafe(coro, self._loop)
        try:
            return future.result(timeout)
        except TimeoutError:
            future.cancel()
            raise DeadlineExceeded(f"realtime call did not finish within {timeout:g} s") from None

    def _margin(self) -> float:
        return self._session.target.timeout * 3 + 5

    def __getattr__(self, name: str) -> Any:
        if name in (
            "dropped_inputs",
            "dropped_results",
            "connections",
            "token_mints",
            "timeouts",
            "endpoint",
            "connected",
            "max_buffering",
            "throttle",
        ):
            return getattr(self._session, name)
        raise AttributeError(name)

    def __repr__(self) -> str:
        return repr(self._session).replace("AsyncRealtime", "Realtime")

    def connect(self) -> None:
        self._call(self._session.connect(), self._margin())

    def send(self, arguments: dict[str, Any]) -> None:
        """Queue ``arguments`` as the latest input (returns at once unless it must connect)."""
        self._call(self._session.send(arguments), self._margin())

    def recv(self, timeout: float = 30.0) -> RealtimeFrame:
        return self._call(self._session.recv(timeout), timeout + 5)

    def latest(self) -> RealtimeFrame | None:
        async def newest() -> RealtimeFrame | None:
            return self._session.latest()

        return self._call(newest(), 5)

    def __iter__(self) -> Iterator[RealtimeFrame]:
        while not self._session._closed:
            yield self.recv()

    def close(self) -> None:
        if self._loop.is_closed():
            return
        try:
            self._call(self._session.close(), 10)
        finally:
            self._stop_loop()

    def _stop_loop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        if not self._thread.is_alive():
            self._loop.close()

    def __enter__(self) -> Realtime:
        try:
            self.connect()
        except BaseException:
            self.close()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
