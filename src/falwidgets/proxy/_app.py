"""The workshop proxy as a Starlette app: one fal key server-side, one token per student.

Per request, in this order: a known student token (``x-fal-proxy-token``, else ``Authorization:
Key <token>`` or ``Bearer <token>``, else a proxy URL ending ``/t/<token>``) or 401; a target in
``x-fal-target-url`` that is a fal call this proxy serves (see ``_rules``) or 400/403; a body under
the size limit or 413; the token's call cap, rate, upload caps and budget or 429 with
``Retry-After``. Then the call goes upstream with the proxy's own key, only ``x-fal-*`` headers plus
content-type and accept, and the answer streams back (SSE included). Incoming ``Authorization`` is
never forwarded; bodies and keys are never logged; every outcome (500s included) is logged and
settles the budget exactly once.

Realtime tokens (``rest.fal.ai/tokens/``) let their holder call apps on fal directly, out of the
proxy's sight, until they expire; sockets opened on the proxy itself are relayed and counted
(``_realtime``: every started block of ``frames_per_unit`` inputs costs a unit). So each mint
costs one unit of budget and counts against the rate,
its ``token_expiration`` is capped (:data:`TOKEN_TTL_MAX` seconds), its ``allowed_apps`` must all
match ``--allow``; and with ``--budget`` but no ``--allow`` mints are refused, since a token for any
app would make the budget meaningless.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import json
import re
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from fnmatch import fnmatchcase

import httpx
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.websockets import WebSocket

from falwidgets._asgi import BodyTooLarge, read_body
from falwidgets._endpoint_id import app_id_of
from falwidgets.client._retry import never_sent
from falwidgets.proxy._config import ProxyConfig
from falwidgets.proxy._limits import Limits
from falwidgets.proxy._logs import logger, shorten_httpx_urls
from falwidgets.proxy._realtime import RealtimeRelay
from falwidgets.proxy._rules import REST_HOST, Refusal, Target, Upstream, classify

_HOP_HEADERS = frozenset(
    {"content-length", "content-encoding", "transfer-encoding", "connection", "keep-alive"}
)
_PRIVATE_HEADERS = frozenset({"x-fal-target-url", "x-fal-proxy-token"})
_OWNERS_MAX = 200_000
_PATH_TOKEN = re.compile(r"^/t/([^/]+)/?$")
TOKEN_TTL_MAX = 300  # seconds a realtime token minted through the proxy may live
TOKEN_TTL_DEFAULT = 120  # what fal's clients ask for


class _Proxy:
    """Request handling state: limits, who submitted what, the upstream HTTP client."""

    def __init__(self, config: ProxyConfig) -> None:
        self.config = config
        self.upstream = Upstream(config.upstream)
        self.limits = Limits(
            config.tokens,
            rate_per_min=config.rate_per_min,
            budget=config.budget,
            calls_per_min=config.calls_per_min,
            max_uploads=config.max_uploads,
            max_parts=config.max_parts,
        )
        self._by_digest = {_digest(t): t for t in config.tokens}
        self._owners: OrderedDict[str, str] = OrderedDict()  # request id -> token
        self._cdn_auth: tuple[str, float] | None = None
        self._cdn_lock = asyncio.Lock()
        self.client: httpx.AsyncClient | None = None
        self.realtime = RealtimeRelay(self, config.frames_per_unit)

    # --- checks -------------------------------------------------------------------------------

    def token_of(self, request: Request) -> str:
        given = request.headers.get("x-fal-proxy-token", "").strip()
        if not given:
            scheme, _, credential = request.headers.get("authorization", "").partition(" ")
            if scheme.lower() in ("key", "bearer"):
                given = credential.strip()
        if not given:  # for clients that cannot set headers: proxy_url = <proxy>/t/<token>
            match = _PATH_TOKEN.match(request.url.path)
            given = match.group(1) if match else ""
        if not given:
            raise Refusal(
                401,
                "no workshop token: send 'Authorization: Key <token>' (or x-fal-proxy-token, "
                "or use <proxy>/t/<token> as the proxy URL)",
                "missing_token",
            )
        token = self._by_digest.get(_digest(given))
        if token is None:
            raise Refusal(401, "unknown workshop token", "invalid_token")
        return token

    def check_owner(self, token: str, target: Target) -> None:
        owner = self._owners.get(target.request_id)
        if owner is not None and owner != token:
            raise Refusal(403, "this request was submitted with another token", "not_your_request")

    def remember_owner(self, token: str, body: bytes) -> None:
        with contextlib.suppress(ValueError, AttributeError, TypeError):
            request_id = json.loads(body).get("request_id")
            if isinstance(request_id, str):
                self._owners[request_id] = token
                while len(self._owners) > _OWNERS_MAX:
                    self._owners.popitem(last=False)

    def check_token_request(self, body: bytes) -> bytes:
        """The realtime token request to forward: apps within ``--allow``, expiration capped.

        See the module docstring for why; the returned body names its expiration explicitly.
        """
        if self.config.budget is not None and not self.config.allow:
            raise Refusal(
                403,
                "realtime tokens are refused: this proxy has a --budget but no --allow list, and "
                "a token for any app would bypass the budget",
                "endpoint_not_allowed",
            )
        try:
            data = json.loads(body or b"{}")
        except ValueError:
            data = None
        if not isinstance(data, dict):
            raise Refusal(400, "token request body must be a JSON object", "bad_request")
        apps = data.get("allowed_apps")
        if not isinstance(apps, list) or not apps or not all(isinstance(a, str) for a in apps):
            raise Refusal(400, "allowed_apps must be a non-empty list of app names", "bad_request")
        if self.config.allow:
            names = {app_id_of(glob).split("/")[-1] for glob in self.config.allow}
            for name in apps:
                if not any(fnmatchcase(name, n) for n in names):
                    raise Refusal(403, f"app {name!r} is not allowed here", "endpoint_not_allowed")
        ttl = data.get("token_expiration", TOKEN_TTL_DEFAULT)
        if isinstance(ttl, bool) or not isinstance(ttl, int) or not 1 <= ttl <= TOKEN_TTL_MAX:
            raise Refusal(
                400,
                f"token_expiration must be a whole number of seconds from 1 to {TOKEN_TTL_MAX}",
                "bad_request",
            )
        return json.dumps({**data, "token_expiration": ttl}).encode()

    # --- upstream -----------------------------------------------------------------------------

    def headers_for(self, request: Request, target: Target) -> dict[str, str]:
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.startswith("x-fal-") and name not in _PRIVATE_HEADERS
        }
        for name in ("content-type", "accept"):
            if name in request.headers:
                headers[name] = request.headers[name]
        headers["x-fal-client-proxy"] = "falwidgets-proxy"
        if target.kind != "cdn" and self.config.key:
            headers["authorization"] = f"Key {self.config.key}"
        return headers

    async def cdn_authorization(self) -> str | None:
        """CDN uploads authenticate with a storage token the proxy fetches with its own key."""
        assert self.client is not None
        async with self._cdn_lock:
            if self._cdn_auth and self._cdn_auth[1] > time.time() + 30:
                return self._cdn_auth[0]
            target = Target("storage", REST_HOST, "/storage/auth/token", "storage_type=fal-cdn-v3")
            headers = {"content-type": "application/json"}
            if self.config.key:
                headers["authorization"] = f"Key {self.config.key}"
            try:
                response = await self.client.post(
                    self.upstream.url_for(target), headers=headers, content=b"{}"
                )
                response.raise_for_status()
                data = response.json()
                value = f"{data.get('token_type') or 'Bearer'} {data['token']}"
            except (httpx.HTTPError, ValueError, KeyError, TypeError, AttributeError) as exc:
                raise Refusal(
                    502,
                    f"could not get a CDN upload token ({type(exc).__name__})",
                    "upstream_error",
                ) from None
            self._cdn_auth = (value, _expiry(data.get("expires_at")))
            return value


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _expiry(value: object) -> float:
    """``expires_at`` as a timestamp; 5 minutes from now when missing or unreadable."""
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        with contextlib.suppress(ValueError):
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
            if parsed.tzinfo is None:
                parsed = parsed.replace(tzinfo=timezone.utc)
            return parsed.timestamp()
    return time.time() + 300


async def _read_body(request: Request, limit: int) -> bytes:
    try:
        return await read_body(request, limit)
    except BodyTooLarge as exc:
        raise Refusal(413, str(exc), "body_too_large") from None


def _refusal_response(refusal: Refusal) -> JSONResponse:
    headers = {"x-fal-error-type": refusal.error_type}
    if refusal.retry_after is not None:
        headers["retry-after"] = str(refusal.retry_after)
    return JSONResponse(
        {"detail": refusal.detail, "error_type": refusal.error_type},
        status_code=refusal.status,
        headers=headers,
    )


def _response_headers(response: httpx.Response) -> dict[str, str]:
    return {k: v for k, v in response.headers.items() if k.lower() not in _HOP_HEADERS}


@dataclass
class _Call:
    """One proxied call's progress, so every way out settles and logs it exactly once."""

    started: float
    token: str | None = None
    target: Target | None = None
    size: int = 0
    reserved: bool = False
    sent: bool = False  # the request (may have) reached the upstream
    upstream_status: int | None = None

    @property
    def spent(self) -> bool:
        """A billable call is spent unless nothing was sent or the upstream answered non-2xx.

        A call sent whose answer was lost (read timeout, cut) stays spent: fal may have run it.
        """
        if not self.sent:
            return False
        return self.upstream_status is None or 200 <= self.upstream_status < 300


async def _handle(request: Request) -> Response:
    proxy: _Proxy = request.app.state.proxy
    call = _Call(time.perf_counter())
    status = 500
    try:
        try:
            call.token = token = proxy.token_of(request)
            call.target = target = classify(
                request.method,
                request.headers.get("x-fal-target-url", ""),
                proxy.upstream,
                proxy.config.allow,
            )
            if target.kind == "request":
                proxy.check_owner(token, target)
            limit = proxy.config.max_upload if target.kind == "cdn" else proxy.config.max_body
            body = await _read_body(request, limit) if request.method != "GET" else b""
            call.size = len(body)
            if target.kind == "token":
                body = proxy.check_token_request(body)
            proxy.limits.admit(token, target)
            call.reserved = target.billable
            response = await _forward(proxy, request, call, body)
            if target.kind == "token":  # realtime sockets opened with it are relayed here
                proxy.realtime.remember(token, body, response)
        except Refusal as refusal:
            response = _refusal_response(refusal)
        except Exception as exc:  # a bug must still answer, settle and log; never the body
            logger.error("proxy error %s on %s", type(exc).__name__, request.method)
            response = JSONResponse(
                {"detail": "internal proxy error", "error_type": "proxy_error"}, status_code=500
            )
        status = response.status_code
        return response
    finally:  # also on cancellation (the student hung up): the reservation never leaks
        if call.reserved and call.token is not None and call.target is not None:
            proxy.limits.settle(call.token, call.target.kind, spent=call.spent)
        _log(proxy, call, request, status)


async def _forward(proxy: _Proxy, request: Request, call: _Call, body: bytes) -> Response:
    """Send the call upstream with the proxy's key; relay the answer (event streams as they
    come, anything else read whole first, so a cut answer is a clear 502, never a short 200)."""
    assert proxy.client is not None and call.token is not None and call.target is not None
    target = call.target
    headers = proxy.headers_for(request, target)
    if target.kind == "cdn":
        auth = await proxy.cdn_authorization()
        if auth:
            headers["authorization"] = auth
    timeout = (  # the client's default for the rest
        httpx.Timeout(proxy.config.run_timeout, connect=10.0, pool=30.0)
        if target.kind in ("run", "stream")
        else proxy.client.timeout
    )
    upstream_request = proxy.client.build_request(
        request.method,
        proxy.upstream.url_for(target),
        headers=headers,
        content=body if request.method != "GET" else None,
        timeout=timeout,
    )
    upstream = await _send(proxy.client, upstream_request, call)
    if upstream.headers.get("content-type", "").startswith("text/event-stream"):
        return StreamingResponse(
            _relay(upstream), upstream.status_code, headers=_response_headers(upstream)
        )
    try:
        content = await upstream.aread()
    except httpx.HTTPError as exc:
        raise Refusal(502, _failed("upstream answer cut", exc, target), "upstream_error") from None
    finally:
        await upstream.aclose()
    if target.kind == "submit" and 200 <= upstream.status_code < 300:
        proxy.remember_owner(call.token, content)
    return Response(content, upstream.status_code, headers=_response_headers(upstream))


async def _send(client: httpx.AsyncClient, request: httpx.Request, call: _Call) -> httpx.Response:
    """The upstream's answer (body still streaming), or a Refusal that says whether it was sent."""
    assert call.target is not None
    call.sent = True
    try:
        upstream = await client.send(request, stream=True)
    except httpx.HTTPError as exc:
        if never_sent(exc):  # nothing reached the upstream: safe for the client to retry
            call.sent = False
            raise Refusal(
                503, f"upstream unreachable ({type(exc).__name__})", "upstream_unavailable", 1
            ) from None
        # it may have reached the upstream: a submit must not be blindly re-sent
        raise Refusal(502, _failed("upstream failed", exc, call.target), "upstream_error") from None
    call.upstream_status = upstream.status_code
    return upstream


def _failed(what: str, exc: Exception, target: Target) -> str:
    if not target.billable:
        return f"{what} ({type(exc).__name__})"
    return (
        f"{what} ({type(exc).__name__}); it may have been accepted upstream, so it was not re-sent"
    )


async def _relay(upstream: httpx.Response) -> AsyncIterator[bytes]:
    try:
        async for chunk in upstream.aiter_bytes():
            yield chunk
    except httpx.HTTPError:
        return  # a cut event stream ends ours too; clients resume from status
    finally:
        await upstream.aclose()


def _log(proxy: _Proxy, call: _Call, request: Request, status: int) -> None:
    """One line per call, named by the token's label; ``refused`` when nothing went upstream."""
    target, token = call.target, call.token
    kind = target.kind if target else "-"
    refused = not call.sent and status >= 400
    if token is not None:
        proxy.limits.record(token, kind, status, call.size, refused=refused)
    label = proxy.config.tokens.get(token, "-") if token else "-"
    logger.info(
        "%s %s %s %s -> %d%s (%d B in, %.0f ms)",
        label,
        request.method,
        kind,
        target.endpoint if target and target.endpoint else (target.path if target else "-"),
        status,
        " refused" if refused else "",
        call.size,
        (time.perf_counter() - call.started) * 1000,
    )


async def _health(request: Request) -> Response:
    return JSONResponse({"ok": True, "upstream": request.app.state.proxy.upstream.base or "fal"})


async def _realtime_socket(websocket: WebSocket) -> None:
    await websocket.app.state.proxy.realtime.socket(websocket)


_METHODS: Sequence[str] = ("GET", "POST", "PUT")

# The proxy's routes, matched in order. A new route (a WebSocket relay, say) is one line here,
# before the catch-all that forwards every HTTP call; handlers find the proxy at
# ``request.app.state.proxy``.
ROUTES: tuple[BaseRoute, ...] = (
    Route("/_proxy/health", _health, methods=["GET"]),
    Route("/{path:path}", _handle, methods=list(_METHODS)),
    WebSocketRoute("/{path:path}", _realtime_socket),  # relayed and counted (see _realtime)
)


def create_app(
    config: ProxyConfig, *, transport: httpx.AsyncBaseTransport | None = None
) -> Starlette:
    """The proxy app for ``config`` (serve it with uvicorn, or :func:`serve_proxy`).

    ``transport`` replaces the network toward the upstream (tests use ``httpx.MockTransport``).
    """
    proxy = _Proxy(config)
    shorten_httpx_urls()  # upstream URLs carry queries (webhooks, realtime tokens)

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        timeout = httpx.Timeout(config.timeout, connect=10.0, pool=30.0)
        limits = httpx.Limits(max_connections=256, max_keepalive_connections=64)
        async with httpx.AsyncClient(timeout=timeout, limits=limits, transport=transport) as client:
            proxy.client = client
            yield
        proxy.client = None

    app = Starlette(
        routes=list(ROUTES),
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=list(config.cors_origins),
                allow_methods=list(_METHODS),
                allow_headers=["*"],
                expose_headers=["x-fal-request-id", "x-fal-error-type", "retry-after"],
            )
        ],
        lifespan=lifespan,
    )
    app.state.proxy = proxy
    return app
