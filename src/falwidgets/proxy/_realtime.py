"""Realtime WebSockets through the workshop proxy: sessions it can see, count and stop.

A student's client mints a realtime token through the proxy as usual (``x-fal-target-url:
https://rest.fal.ai/tokens/``, checked against ``--allow``, one budget unit). The proxy remembers
which student each token it handed out belongs to (a digest of it, until it expires). The student
then opens the socket on the proxy itself, at fal.run's path (``ws://<proxy>/<endpoint id>/realtime
?fal_jwt_token=...``; a browser's WebSocket cannot send headers, so the token is the credential),
and the proxy relays it to the upstream (``wss://fal.run/...`` or the local server).

The rule (also in the README): a realtime session is refused at the handshake when its token was
not minted through this proxy or has expired (401), when the endpoint is outside ``--allow`` (403)
or when the student's budget is spent (429). Every started block of ``frames_per_unit`` inputs
(default 10) a student sends, counted across all their sessions, costs one more budget unit,
charged before the block's first input is forwarded; when the budget runs out the student gets an
``x-fal-error`` frame ``BUDGET_EXHAUSTED`` and the socket closes (1008). Frames are counted, never
logged or stored.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import logging
import time
from collections import Counter, OrderedDict
from typing import TYPE_CHECKING, Any
from urllib.parse import urlencode

from starlette.responses import JSONResponse, Response
from starlette.websockets import WebSocket, WebSocketDisconnect, WebSocketState

from falwidgets.proxy._rules import RUN_HOST, Refusal, Target, endpoint_allowed

if TYPE_CHECKING:
    from falwidgets.proxy._app import _Proxy

logger = logging.getLogger("falwidgets.proxy")

FRAMES_PER_UNIT = 10
MAX_FRAME = 32 * 1024 * 1024
_TOKENS_MAX = 100_000
_OPEN_TIMEOUT = 15.0


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _minted_token(content: bytes) -> str | None:
    """The token in a mint answer: a JSON string, or ``{"token"}`` / ``{"detail"}``."""
    try:
        data = json.loads(content)
    except ValueError:
        return None
    if isinstance(data, str):
        return data
    if isinstance(data, dict):
        for key in ("token", "detail"):
            if isinstance(data.get(key), str):
                return data[key]
    return None


class RealtimeRelay:
    """Tokens minted through the proxy (digest -> student, expiry) and the socket relay."""

    def __init__(self, proxy: _Proxy, frames_per_unit: int = FRAMES_PER_UNIT) -> None:
        if frames_per_unit < 1:
            raise ValueError(f"frames_per_unit must be >= 1, got {frames_per_unit}")
        self.proxy = proxy
        self.frames_per_unit = frames_per_unit
        self._tokens: OrderedDict[str, tuple[str, float]] = OrderedDict()
        self._inputs: Counter[str] = Counter()  # realtime inputs relayed, per student token
        self.sessions = 0  # open relays (for tests and the health page)

    # -- minting ---------------------------------------------------------------------------------
    def remember(self, student: str, request_body: bytes, response: Response) -> None:
        """Note who a successful mint answered (call after forwarding a ``token`` target)."""
        if not 200 <= response.status_code < 300:
            return
        token = _minted_token(bytes(getattr(response, "body", b"") or b""))
        if not token:
            return
        try:
            ttl = float(json.loads(request_body).get("token_expiration", 120))
        except (ValueError, AttributeError, TypeError):
            ttl = 120.0
        now = time.monotonic()
        self._tokens[_digest(token)] = (student, now + ttl)
        while len(self._tokens) > _TOKENS_MAX:
            self._tokens.popitem(last=False)
        for key, (_, expires) in list(self._tokens.items())[:16]:  # drop a few stale ones
            if expires < now:
                del self._tokens[key]

    def student_of(self, token: str) -> str:
        found = self._tokens.get(_digest(token))
        if found is None:
            raise Refusal(401, "realtime token was not minted through this proxy", "invalid_token")
        student, expires = found
        if time.monotonic() > expires:
            raise Refusal(401, "realtime token expired: mint a new one", "invalid_token")
        return student

    # -- the socket ------------------------------------------------------------------------------
    def _check(self, ws: WebSocket) -> tuple[str, str]:
        """(student token, socket path) or :class:`Refusal`."""
        path = ws.path_params.get("path", "").strip("/")
        token = ws.query_params.get("fal_jwt_token", "")
        if not token:
            raise Refusal(
                401, "missing fal_jwt_token (mint one through the proxy)", "missing_token"
            )
        student = self.student_of(token)
        parts = path.split("/")
        names = [path, "/".join(parts[:-1])] if len(parts) > 2 else [path]
        allow = self.proxy.config.allow
        if len(parts) < 2 or not any(endpoint_allowed(n, allow) for n in names):
            raise Refusal(403, f"endpoint {path!r} is not allowed here", "endpoint_not_allowed")
        if not self._has_budget(student):
            raise Refusal(
                429,
                "budget for this token is used up; ask the workshop host for more",
                "budget_exhausted",
            )
        return student, path

    def _has_budget(self, student: str) -> bool:
        limits = self.proxy.limits
        return limits.budget is None or limits.remaining(student) > 0

    def upstream_url(self, ws: WebSocket, path: str) -> str:
        query = {
            k: v for k, v in ws.query_params.items() if k in ("fal_jwt_token", "max_buffering")
        }
        url = self.proxy.upstream.url_for(Target("run", RUN_HOST, "/" + path, urlencode(query)))
        return "ws" + url[len("http") :]

    async def socket(self, ws: WebSocket) -> None:
        """The relay: checks, upstream handshake, then frames both ways until either side ends."""
        from websockets.asyncio.client import connect
        from websockets.exceptions import InvalidHandshake, InvalidStatus

        started = time.perf_counter()
        student: str | None = None
        path = ws.path_params.get("path", "")
        status = 101
        try:
            student, path = self._check(ws)
            headers = {"x-fal-client-proxy": "falwidgets-proxy"}
            try:
                upstream = await connect(
                    self.upstream_url(ws, path),
                    open_timeout=_OPEN_TIMEOUT,
                    max_size=MAX_FRAME,
                    compression=None,
                    additional_headers=headers,
                )
            except InvalidStatus as exc:
                body = bytes(exc.response.body or b"")
                try:
                    detail = json.loads(body).get("detail") or body.decode(errors="replace")
                except (ValueError, AttributeError):
                    detail = body.decode(errors="replace")
                status = exc.response.status_code
                raise Refusal(status, str(detail)[:300], "upstream_refused") from None
            except (OSError, asyncio.TimeoutError, InvalidHandshake) as exc:
                raise Refusal(
                    502, f"upstream realtime socket failed ({type(exc).__name__})", "upstream_error"
                ) from None
        except Refusal as refusal:
            status = refusal.status
            await self._deny(ws, refusal)
            self._log(student, path, status, started, 0)
            return
        await ws.accept()
        self.sessions += 1
        frames = 0
        try:
            frames = await self._relay(ws, upstream, student)
        finally:
            self.sessions -= 1
            with contextlib.suppress(Exception):
                await upstream.close()
            self._log(student, path, status, started, frames)

    async def _relay(self, ws: WebSocket, upstream: Any, student: str) -> int:
        """Pump frames both ways; returns the number of inputs forwarded."""
        counted = 0

        async def to_upstream() -> None:
            nonlocal counted
            while True:
                message = await ws.receive()
                if message["type"] == "websocket.disconnect":
                    return
                block_starts = self._inputs[student] % self.frames_per_unit == 0
                if block_starts and not self.proxy.limits.charge(student, "realtime"):
                    reason = "budget for this token is used up; ask the workshop host for more"
                    error = {"type": "x-fal-error", "error": "BUDGET_EXHAUSTED", "reason": reason}
                    await ws.send_text(json.dumps(error))
                    await ws.close(1008)
                    return
                counted += 1
                self._inputs[student] += 1
                data = message.get("bytes")
                await upstream.send(data if data is not None else message.get("text", ""))

        async def to_student() -> None:
            async for message in upstream:
                if isinstance(message, (bytes, bytearray)):
                    await ws.send_bytes(bytes(message))
                else:
                    await ws.send_text(message)
            code = upstream.close_code or 1000
            if ws.application_state == WebSocketState.CONNECTED:
                await ws.close(code if code in (1000, 1001, 1008, 1011) else 1000)

        tasks = [asyncio.create_task(to_upstream()), asyncio.create_task(to_student())]
        try:
            await asyncio.wait(tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in tasks:
                task.cancel()
            for outcome in await asyncio.gather(*tasks, return_exceptions=True):
                if isinstance(outcome, Exception) and not isinstance(
                    outcome, (WebSocketDisconnect, RuntimeError, asyncio.CancelledError)
                ):
                    logger.debug("realtime relay ended: %s", type(outcome).__name__)
            if ws.application_state == WebSocketState.CONNECTED:
                with contextlib.suppress(Exception):
                    await ws.close(1000)
        return counted

    @staticmethod
    async def _deny(ws: WebSocket, refusal: Refusal) -> None:
        body = {"detail": refusal.detail, "error_type": refusal.error_type}
        headers = {"x-fal-error-type": refusal.error_type}
        if "websocket.http.response" in ws.scope.get("extensions", {}):
            response = JSONResponse(body, status_code=refusal.status, headers=headers)
            await ws.send_denial_response(response)
        else:  # pragma: no cover - uvicorn supports the extension
            await ws.close(1008)

    def _log(
        self, student: str | None, path: str, status: int, started: float, frames: int
    ) -> None:
        label = self.proxy.config.tokens.get(student, "-") if student else "-"
        logger.info(
            "%s WS realtime %s -> %d%s (%d frames, %.0f ms)",
            label,
            path or "-",
            status,
            " refused" if status != 101 else "",
            frames,
            (time.perf_counter() - started) * 1000,
        )
