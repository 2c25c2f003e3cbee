"""Which targets the proxy forwards: fal hosts, the paths on each, and the endpoint allow-list.

Every request names its real destination in ``x-fal-target-url`` (the wire format of fal's
official ``@fal-ai/server-proxy``). This module turns that URL into a :class:`Target` or refuses it
with a :class:`Refusal` carrying the HTTP status to answer. Unlike the official proxy, every fal
call a client needs is allowed (queue, run, stream, storage initiate and multipart, tokens, CDN
upload) and nothing else: not other hosts, not other paths on fal hosts, not other endpoints.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import urlsplit

from falwidgets._endpoint_id import app_id_of, is_segment, parse_endpoint
from falwidgets._hosts import is_fal_host, is_this_machine

QUEUE_HOST = "queue.fal.run"
RUN_HOST = "fal.run"
REST_HOST = "rest.fal.ai"
CDN_HOST = "v3.fal.media"
# The proxy's own policy: the fal hosts it FORWARDS to (a subset of what `_hosts.is_fal_host`
# calls a fal host). Other fal hosts (api.fal.ai, fal.ai itself) can spend money or change an
# account in ways a workshop token must not; they are refused as `host_not_allowed`.
FORWARDED_HOSTS = (QUEUE_HOST, RUN_HOST, REST_HOST, CDN_HOST)

# rest.fal.ai paths a client needs (fal_client and the JS client, uploads and realtime tokens)
STORAGE_PATHS = frozenset(
    {
        "/storage/upload/initiate",
        "/storage/upload/initiate-multipart",
        "/storage/upload/complete-multipart",
        "/storage/auth/token",
        "/tokens",
        "/tokens/",
    }
)

TOKEN_PATHS = frozenset({"/tokens", "/tokens/"})
ENDPOINT_KINDS = frozenset({"submit", "run", "stream"})  # calls that name an endpoint to run
# a realtime token mint is billable too: each token lets its holder call apps directly on fal
BILLABLE_KINDS = ENDPOINT_KINDS | {"token"}
COSTLY_KINDS = BILLABLE_KINDS | {"storage", "cdn"}


class Refusal(Exception):
    """A request the proxy will not forward; ``status`` and ``error_type`` go into the answer."""

    def __init__(
        self, status: int, detail: str, error_type: str, retry_after: int | None = None
    ) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail
        self.error_type = error_type
        self.retry_after = retry_after


@dataclass(frozen=True)
class Target:
    """A classified destination: which fal host, which kind of call, which endpoint."""

    kind: str  # submit | request | run | stream | storage | token | cdn
    host: str  # the canonical fal host (even when the upstream is a local server)
    path: str  # starts with "/"
    query: str  # without "?"
    endpoint: str = ""  # full endpoint id (submit/run/stream) or app prefix (request)
    request_id: str = ""

    @property
    def billable(self) -> bool:
        return self.kind in BILLABLE_KINDS


class Upstream:
    """Where fal hosts really go: fal itself, or every host mapped onto one base URL.

    A fal host given as ``base`` (``--upstream https://queue.fal.run``, what fal's docs name as the
    API) means real fal: each call goes to its own fal host (run calls to ``fal.run``, storage to
    ``rest.fal.ai``, uploads to the CDN), never all onto the queue host. With any other ``base``
    (``--upstream http://127.0.0.1:8765``), ``queue.fal.run`` goes to the base URL and ``fal.run``
    to ``{base}/run`` (the local server's convention for the sync path), while storage and CDN
    paths keep their own paths on the base. Targets that already point at the base
    (the local server returns its own ``status_url``) map back to the fal host they stand for.
    """

    def __init__(self, base: str | None = None) -> None:
        self.base = base.rstrip("/") if base else None
        self.local = False
        if self.base is not None:
            try:
                parts = urlsplit(self.base)
                host = parts.hostname or ""
                parts.port  # noqa: B018 - raises ValueError on a malformed port
            except ValueError:
                raise ValueError(f"--upstream is not a valid URL: {base!r}") from None
            if parts.scheme not in ("http", "https") or not host:
                raise ValueError(f"--upstream must be an http(s) URL, got {base!r}")
            if is_fal_host(host):  # fal.ai, queue.fal.run, x.falrun.com, ...: fal itself
                if parts.scheme != "https":
                    raise ValueError(f"--upstream on a fal host must be https, got {base!r}")
                self.base = None  # real fal: every host keeps its own address
                return
            self.local = is_this_machine(host)
            self._origin = f"{parts.scheme}://{parts.netloc}".lower()
            self._prefix = parts.path.rstrip("/")

    @property
    def is_fal(self) -> bool:
        """True when calls go to fal's real hosts (and so need a real key)."""
        return self.base is None

    def url_for(self, target: Target) -> str:
        """The URL to send ``target`` to."""
        query = f"?{target.query}" if target.query else ""
        if self.base is None:
            return f"https://{target.host}{target.path}{query}"
        prefix = "/run" if target.host == RUN_HOST else ""
        return f"{self.base}{prefix}{target.path}{query}"

    def to_fal(self, scheme: str, netloc: str, path: str) -> tuple[str, str] | None:
        """Map a URL on the upstream back to ``(fal host, path)``; None when it is not ours."""
        if self.base is None or f"{scheme}://{netloc}".lower() != self._origin:
            return None
        if self._prefix:
            if not (path == self._prefix or path.startswith(self._prefix + "/")):
                return None
            path = path[len(self._prefix) :] or "/"
        if path.startswith("/run/"):
            return RUN_HOST, path[len("/run") :]
        if path in STORAGE_PATHS:
            return REST_HOST, path
        if path.startswith("/files/"):
            return CDN_HOST, path
        return QUEUE_HOST, path


def _segments(path: str) -> list[str]:
    """The path's segments, each one an endpoint-id segment would accept (`_endpoint_id`)."""
    parts = path.split("/")[1:]
    if not parts or any(not is_segment(p) for p in parts if p):
        raise Refusal(
            403, "target path has characters the proxy does not forward", "path_not_allowed"
        )
    if any(not p for p in parts[:-1]):
        raise Refusal(403, "target path has an empty segment", "path_not_allowed")
    return [p for p in parts if p]


def endpoint_allowed(endpoint: str, allow: Sequence[str]) -> bool:
    """An empty allow-list allows every endpoint; else some glob must match the full id."""
    return not allow or any(fnmatchcase(endpoint, glob) for glob in allow)


def app_allowed(prefix: str, allow: Sequence[str]) -> bool:
    """Status/result/cancel paths name only ``owner/app`` (or the full id): match either form."""
    return not allow or any(
        fnmatchcase(prefix, glob) or fnmatchcase(prefix, app_id_of(glob)) for glob in allow
    )


def _target_host(parts_host: str, scheme: str, port: int | None, netloc: str) -> str:
    """The forwarded fal host a direct target names, or :class:`Refusal` (403)."""
    host = parts_host.lower()
    if scheme != "https" or port not in (None, 443):
        raise Refusal(
            403, f"target must be https on a fal host, not {netloc!r}", "host_not_allowed"
        )
    if host.endswith(".fal.media"):
        host = CDN_HOST  # files are served from several CDN names; uploads go to v3
    if host not in FORWARDED_HOSTS:
        what = (
            "a fal host this proxy does not forward to" if is_fal_host(host) else "not a fal host"
        )
        raise Refusal(403, f"host {host!r} is {what}", "host_not_allowed")
    return host


def classify(method: str, url: str, upstream: Upstream, allow: Sequence[str] = ()) -> Target:
    """The :class:`Target` for ``method url``, or :class:`Refusal` (400 malformed, 403 refused)."""
    if not url:
        raise Refusal(400, "missing x-fal-target-url header (the real fal URL)", "bad_request")
    try:
        parts = urlsplit(url)
        port = parts.port  # a malformed port (":99999", ":abc") raises here, not later
    except ValueError:
        raise Refusal(
            400, "x-fal-target-url is not a URL (bad host or port)", "bad_request"
        ) from None
    if parts.username or parts.password or parts.fragment:
        raise Refusal(
            400, "x-fal-target-url must not carry credentials or a fragment", "bad_request"
        )
    mapped = upstream.to_fal(parts.scheme, parts.netloc, parts.path)
    if mapped is not None:
        host, path = mapped
    else:
        host = _target_host(parts.hostname or "", parts.scheme, port, parts.netloc)
        path = parts.path or "/"
    segments = _segments(path)
    method_host = f"{method} {host}{path}"
    target = _CLASSIFIERS[host](method, method_host, Target("", host, path, parts.query), segments)
    _check_allowed(target, allow)
    return target


def _check_allowed(target: Target, allow: Sequence[str]) -> None:
    names = [target.endpoint]
    if target.kind == "stream":  # ids may themselves end in /stream (fal-ai/flux-krea-lora/stream)
        names.append(target.endpoint + "/stream")
    refused = (
        target.kind in ENDPOINT_KINDS and not any(endpoint_allowed(n, allow) for n in names)
    ) or (target.kind == "request" and not app_allowed(target.endpoint, allow))
    if refused:
        raise Refusal(
            403, f"endpoint {target.endpoint!r} is not allowed here", "endpoint_not_allowed"
        )


def _refuse(method_host: str, what: str) -> Refusal:
    return Refusal(403, f"{method_host} is not {what}", "path_not_allowed")


def _endpoint(segments: list[str], method_host: str, what: str) -> str:
    """The endpoint id the segments spell, checked by the shared parser (legacy ids included)."""
    endpoint = "/".join(segments)
    try:
        parse_endpoint(endpoint)
    except ValueError as exc:
        raise Refusal(403, f"{method_host} is not {what}: {exc}", "path_not_allowed") from None
    return endpoint


_REQUEST_CALLS = {(): "GET", ("status",): "GET", ("status", "stream"): "GET", ("cancel",): "PUT"}


def _queue_target(method: str, method_host: str, base: Target, segments: list[str]) -> Target:
    if "requests" in segments[2:]:  # after at least owner/app
        at = segments.index("requests", 2)
        rest = segments[at + 1 :]
        if not rest or _REQUEST_CALLS.get(tuple(rest[1:])) != method:
            raise _refuse(method_host, "a queue request call")
        prefix = _endpoint(segments[:at], method_host, "a queue request call")
        return _with(base, "request", prefix, rest[0])
    if method != "POST":
        raise _refuse(method_host, "a queue submission")
    return _with(base, "submit", _endpoint(segments, method_host, "a queue submission"))


def _run_target(method: str, method_host: str, base: Target, segments: list[str]) -> Target:
    if method != "POST" or not segments:
        raise _refuse(method_host, "a run call")
    head = segments[:-1]
    # `<id>/stream` streams; a bare `owner/stream` is the id itself (an app named "stream")
    if segments[-1] == "stream" and (len(head) > 1 or _is_legacy(head)):
        return _with(base, "stream", _endpoint(head, method_host, "a run call"))
    return _with(base, "run", _endpoint(segments, method_host, "a run call"))


def _is_legacy(segments: list[str]) -> bool:
    if len(segments) != 1:
        return False
    try:
        parse_endpoint(segments[0])
    except ValueError:
        return False
    return True


def _rest_target(method: str, method_host: str, base: Target, segments: list[str]) -> Target:
    if method != "POST" or base.path not in STORAGE_PATHS:
        raise _refuse(method_host, "a storage or token call")
    return _with(base, "token" if base.path in TOKEN_PATHS else "storage")


def _cdn_target(method: str, method_host: str, base: Target, segments: list[str]) -> Target:
    """Single upload, multipart initiate, part PUTs and complete; nothing else on the CDN."""
    if segments[:1] == ["files"]:
        if method == "POST" and base.path in ("/files/upload", "/files/upload/multipart"):
            return _with(base, "cdn")
        if len(segments) >= 4 and segments[-3] == "multipart":
            if method == "PUT" and segments[-1].isdigit():
                return _with(base, "cdn")
            if method == "POST" and segments[-1] == "complete":
                return _with(base, "cdn")
    raise _refuse(method_host, "a CDN upload")


def _with(base: Target, kind: str, endpoint: str = "", request_id: str = "") -> Target:
    return Target(kind, base.host, base.path, base.query, endpoint, request_id)


# forwarded host -> what calls on it may be (one entry per host in FORWARDED_HOSTS)
_CLASSIFIERS: dict[str, Callable[[str, str, Target, list[str]], Target]] = {
    QUEUE_HOST: _queue_target,
    RUN_HOST: _run_target,
    REST_HOST: _rest_target,
    CDN_HOST: _cdn_target,
}
