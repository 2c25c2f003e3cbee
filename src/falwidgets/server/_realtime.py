"""fal's realtime WebSocket protocol on the local server (fal-platform.md section 3).

- Tokens: `POST /tokens/` (`{"allowed_apps", "token_expiration"}` -> a JSON string, what both
  official clients call) and `POST /tokens/realtime` (`{"allowed_apps", "duration"}` ->
  `{"token", "expires_at"}`, the newer documented route). Each is an HS256 JWT signed with a
  secret of this server alone, so a token minted by another server (or fal) is refused, and one
  past its `exp` too. A token names apps the way clients do: the alias (`fast-lcm-diffusion`,
  what fal_client sends), `owner/app`, the full id, or the full socket path.
- Socket: `/run/<endpoint id>/<path>` (`path` defaults to `realtime`; an id that already ends in
  it, like `fal-ai/flux-2/klein/realtime`, is also served bare) with `?fal_jwt_token=...` and an
  optional `max_buffering=1..60`; also at `/<endpoint id>/<path>`, where a client that only swaps
  the host of `wss://fal.run/...` lands. Refused handshakes get an HTTP answer with a JSON detail
  (401 token, 403 scope, 404 unknown endpoint, 400 bad query).
- Frames: one msgpack input in, one msgpack output out; JSON text control frames: after each
  output `{"type": "x-fal-message", "action": "timings", "timing": s}` when the endpoint emits
  timings; `{"type": "x-fal-error", "error": "TIMEOUT", ...}` then a normal close when no input
  came for `session_timeout` s; `VALIDATION_ERROR` (with `detail`, the session stays open) and
  `INTERNAL_ERROR` (then close 1011). JSON text inputs are accepted too (the JS client's
  `encodeMessage` may send them).
- Inputs wait in a deque of at most `max_buffering` (the client's) or the endpoint's `buffering`:
  when it is full the oldest is dropped, as in fal's SDK. One input is processed at a time.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import json
import logging
import secrets
import time
import uuid
from dataclasses import dataclass
from typing import Any

import jwt
import msgpack
from pydantic import BaseModel
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from falwidgets._endpoint_id import EndpointId, parse_endpoint
from falwidgets.server._registry import EndpointDef, lookup
from falwidgets.server._validation import validate_input

log = logging.getLogger("falwidgets.server.realtime")

TOKEN_TTL_DEFAULT = 120  # seconds; what the official clients ask for
TOKEN_TTL_MAX = 24 * 3600
MAX_BUFFERING = (1, 60)  # both official clients' bounds
MAX_FRAME = 16 * 1024 * 1024
_ALGORITHM = "HS256"
_ISSUER = "falwidgets-local"


@dataclass(frozen=True)
class RealtimeOptions:
    """How an endpoint is served over the realtime socket (fal SDK's `@fal.realtime` options).

    `path`: the socket path after the endpoint id; `buffering`: inputs kept while one is being
    processed (None: unbounded unless the client asks `max_buffering`); `session_timeout`: idle
    seconds before the `TIMEOUT` frame; `emit_timings`: send the timings frame after each output.
    """

    path: str = "realtime"
    buffering: int | None = None
    session_timeout: float = 10.0
    emit_timings: bool = True

    def __post_init__(self) -> None:
        if self.buffering is not None and self.buffering < 1:
            raise ValueError(f"buffering must be >= 1 or None, got {self.buffering!r}")
        if not self.session_timeout > 0:
            raise ValueError(f"session_timeout must be positive, got {self.session_timeout!r}")


def realtime_options(value: bool | RealtimeOptions | None) -> RealtimeOptions | None:
    """The decorator's `realtime=` argument as options (None: not a realtime endpoint)."""
    if value is None or value is False:
        return None
    if value is True:
        return RealtimeOptions()
    if isinstance(value, RealtimeOptions):
        return value
    raise TypeError(f"realtime must be a bool or RealtimeOptions, got {type(value).__name__}")


class Refused(Exception):
    """A handshake this server refuses (token, scope, route, query); `status` is its HTTP answer."""

    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class RealtimeTokens:
    """Mints and checks this server's realtime JWTs (the secret never leaves the process)."""

    def __init__(self, secret: bytes | None = None) -> None:
        self._secret = secret or secrets.token_bytes(32)
        self.minted = 0

    def mint(self, apps: list[str], ttl: float) -> tuple[str, float]:
        """(token, expiry as a Unix time) for `apps`, valid `ttl` seconds."""
        now = time.time()
        expires = now + ttl
        claims = {
            "iss": _ISSUER,
            "iat": int(now),
            "exp": expires,
            "jti": uuid.uuid4().hex,
            "allowed_apps": list(apps),
        }
        self.minted += 1
        return jwt.encode(claims, self._secret, algorithm=_ALGORITHM), expires

    def check(self, token: str, endpoint: EndpointId, socket_path: str) -> None:
        """Raise :class:`Refused` unless `token` is ours, unexpired and names this app."""
        try:
            claims = jwt.decode(
                token,
                self._secret,
                algorithms=[_ALGORITHM],
                issuer=_ISSUER,
                options={"require": ["exp", "iss"]},
            )
        except jwt.ExpiredSignatureError:
            raise Refused(401, "realtime token expired: mint a new one") from None
        except jwt.InvalidTokenError:
            raise Refused(401, "realtime token not issued by this server") from None
        names = {endpoint.app, endpoint.app_id, endpoint.full, socket_path}
        apps = claims.get("allowed_apps")
        if not isinstance(apps, list) or not names.intersection(a for a in apps if a):
            raise Refused(403, f"realtime token does not allow {endpoint.full!r}")


def _parse_token_request(body: bytes, ttl_key: str) -> tuple[list[str], float] | Response:
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        data = None
    if not isinstance(data, dict):
        return _refuse(400, "token request body must be a JSON object")
    apps = data.get("allowed_apps")
    if not isinstance(apps, list) or not apps or not all(isinstance(a, str) and a for a in apps):
        return _refuse(400, "allowed_apps must be a non-empty list of app names")
    ttl = data.get(ttl_key, TOKEN_TTL_DEFAULT)
    if isinstance(ttl, bool) or not isinstance(ttl, (int, float)) or not 0 < ttl <= TOKEN_TTL_MAX:
        return _refuse(400, f"{ttl_key} must be a number of seconds from 1 to {TOKEN_TTL_MAX}")
    return [a.strip("/") for a in apps], float(ttl)


def _refuse(status: int, detail: str) -> Response:
    return JSONResponse({"detail": detail}, status_code=status)


def socket_target(path: str) -> tuple[EndpointDef, EndpointId, str] | Refused:
    """(endpoint, its parsed id, the socket path) for a socket path, or why it is refused."""
    found = lookup(path)
    if found is None:
        return Refused(404, f"no endpoint {path.strip('/')!r} on this server")
    definition, rest = found
    options = definition.realtime
    if options is None:
        return Refused(404, f"{definition.endpoint_id!r} has no realtime route")
    suffix = options.path.strip("/")
    bare_ok = definition.endpoint_id.endswith("/" + suffix)  # fal-ai/flux-2/klein/realtime
    if rest != suffix and not (rest == "" and bare_ok):
        return Refused(404, f"no realtime route /{path.strip('/')} (expected /{suffix})")
    return definition, parse_endpoint(definition.endpoint_id), path.strip("/")


def _pack_default(value: Any) -> Any:
    if isinstance(value, BaseModel):
        return value.model_dump(mode="python", by_alias=True)
    if isinstance(value, (set, tuple)):
        return list(value)
    return str(value)


def encode_output(value: Any) -> bytes:
    """An endpoint's output as one msgpack frame (bytes stay binary)."""
    if isinstance(value, BaseModel):
        value = value.model_dump(mode="python", by_alias=True, exclude_none=True)
    return msgpack.packb(value, use_bin_type=True, default=_pack_default)


def decode_input(message: dict[str, Any]) -> Any:
    """A received frame as a Python value; ValueError when it is neither msgpack nor JSON."""
    if message.get("bytes") is not None:
        try:
            return msgpack.unpackb(message["bytes"], raw=False)
        except Exception as exc:  # msgpack raises several unrelated types
            raise ValueError(f"input frame is not msgpack: {type(exc).__name__}") from None
    text = message.get("text")
    if text is not None:
        return json.loads(text)
    raise ValueError("empty frame")


def _control(error: str, reason: str, **extra: Any) -> str:
    return json.dumps({"type": "x-fal-error", "error": error, "reason": reason, **extra})


class Session:
    """One open socket: a reader filling the input deque, a worker answering one at a time."""

    def __init__(self, ws: WebSocket, definition: EndpointDef, buffering: int | None) -> None:
        assert definition.realtime is not None
        self.ws = ws
        self.definition = definition
        self.options = definition.realtime
        self.inputs: collections.deque[Any] = collections.deque(maxlen=buffering)
        self.arrived = asyncio.Event()
        self.closed = False

    async def run(self) -> None:
        reader = asyncio.create_task(self._read())
        try:
            await self._work()
        finally:
            reader.cancel()
            await asyncio.gather(reader, return_exceptions=True)
            if self.ws.application_state == WebSocketState.CONNECTED:
                await self._close(1000)

    async def _read(self) -> None:
        try:
            while True:
                message = await self.ws.receive()
                if message["type"] == "websocket.disconnect":
                    break
                try:
                    value = decode_input(message)
                except ValueError as exc:
                    await self._send_text(_control("VALIDATION_ERROR", str(exc), detail=[]))
                    continue
                self.inputs.append(value)  # a full deque drops its oldest input
                self.arrived.set()
        except (WebSocketDisconnect, RuntimeError):
            pass
        finally:
            self.closed = True
            self.arrived.set()

    async def _work(self) -> None:
        timeout = self.options.session_timeout
        while True:
            if not self.inputs:
                self.arrived.clear()
                try:
                    await asyncio.wait_for(self.arrived.wait(), timeout)
                except asyncio.TimeoutError:
                    await self._send_text(_control("TIMEOUT", "no inputs, reconnect when needed!"))
                    return
            if self.closed and not self.inputs:
                return
            if not self.inputs:
                continue
            value = self.inputs.popleft()
            if not await self._answer(value):
                return

    async def _answer(self, value: Any) -> bool:
        """Validate, run and send one input; False when the session must end."""
        inp, detail = validate_input(self.definition.input, value)
        if detail is not None:
            await self._send_text(_control("VALIDATION_ERROR", "invalid input", detail=detail))
            return not self.closed
        started = time.perf_counter()
        try:
            args = (inp, None) if self.definition.takes_context else (inp,)
            output = await asyncio.to_thread(self.definition.func, *args)
            frame = encode_output(output)
        except Exception as exc:
            log.warning("realtime %s failed: %s", self.definition.endpoint_id, exc)
            await self._send_text(_control("INTERNAL_ERROR", f"{type(exc).__name__}: {exc}"))
            await self._close(1011)
            return False
        elapsed = time.perf_counter() - started
        if not await self._send_bytes(frame):
            return False
        if self.options.emit_timings:
            timings = {"type": "x-fal-message", "action": "timings", "timing": elapsed}
            await self._send_text(json.dumps(timings))
        return not self.closed or bool(self.inputs)

    async def _send_bytes(self, data: bytes) -> bool:
        try:
            await self.ws.send_bytes(data)
            return True
        except (WebSocketDisconnect, RuntimeError, OSError):
            self.closed = True
            return False

    async def _send_text(self, text: str) -> None:
        try:
            await self.ws.send_text(text)
        except (WebSocketDisconnect, RuntimeError, OSError):
            self.closed = True

    async def _close(self, code: int) -> None:
        with contextlib.suppress(WebSocketDisconnect, RuntimeError, OSError):
            await self.ws.close(code)


async def _deny(ws: WebSocket, status: int, detail: str) -> None:
    """Refuse a handshake with an HTTP answer when the ASGI server can, else a plain 403."""
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(JSONResponse({"detail": detail}, status_code=status))
    else:  # pragma: no cover - uvicorn supports the extension
        await ws.close(1008)


def _buffering(ws: WebSocket, default: int | None) -> int | Refused | None:
    raw = ws.query_params.get("max_buffering")
    if raw is None:
        return default
    low, high = MAX_BUFFERING
    if not raw.isdigit() or not low <= int(raw) <= high:
        return Refused(400, f"max_buffering must be a whole number from {low} to {high}")
    return int(raw)


def realtime_routes(tokens: RealtimeTokens | None = None) -> list[BaseRoute]:
    """The token routes and the realtime sockets; add them before the catch-all queue route."""
    tokens = tokens or RealtimeTokens()

    async def mint_legacy(request: Request) -> Response:
        parsed = _parse_token_request(await request.body(), "token_expiration")
        if isinstance(parsed, Response):
            return parsed
        token, _ = tokens.mint(*parsed)
        return JSONResponse(token)

    async def mint_realtime(request: Request) -> Response:
        parsed = _parse_token_request(await request.body(), "duration")
        if isinstance(parsed, Response):
            return parsed
        token, expires = tokens.mint(*parsed)
        return JSONResponse({"token": token, "expires_at": int(expires)})

    async def socket(ws: WebSocket) -> None:
        target = socket_target(ws.path_params["path"])
        if isinstance(target, Refused):
            await _deny(ws, target.status, target.detail)
            return
        definition, endpoint, socket_path = target
        token = ws.query_params.get("fal_jwt_token")
        if not token:
            if not ws.headers.get("authorization"):  # fal_client use_jwt=False sends a key
                await _deny(ws, 401, "missing fal_jwt_token (mint one at POST /tokens/)")
                return
        else:
            try:
                tokens.check(token, endpoint, socket_path)
            except Refused as refused:
                await _deny(ws, refused.status, refused.detail)
                return
        assert definition.realtime is not None
        buffering = _buffering(ws, definition.realtime.buffering)
        if isinstance(buffering, Refused):
            await _deny(ws, buffering.status, buffering.detail)
            return
        await ws.accept()
        await Session(ws, definition, buffering).run()

    return [
        Route("/tokens/", mint_legacy, methods=["POST"]),
        Route("/tokens/realtime", mint_realtime, methods=["POST"]),
        WebSocketRoute("/run/{path:path}", socket),
        WebSocketRoute("/{path:path}", socket),
    ]
