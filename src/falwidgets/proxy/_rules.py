"""Which targets the proxy forwards: fal hosts, the paths on each, and the endpoint allow-list.

Every request names its real destination in ``x-fal-target-url`` (the wire format of fal's
official ``@fal-ai/server-proxy``). This module turns that URL into a :class:`Target` or refuses it
with a :class:`Refusal` carrying the HTTP status to answer. Unlike the official proxy, every fal
call a client needs is allowed (queue, run, stream, storage initiate and multipart, tokens, CDN
upload) and nothing else: not other hosts, not other paths on fal hosts, not other endpoints.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from fnmatch import fnmatchcase
from urllib.parse import parse_qs, urlsplit

from falwidgets._platform_wire import API_HOST, API_PREFIX, REQUESTS_PATH

QUEUE_HOST = "queue.fal.run"
RUN_HOST = "fal.run"
REST_HOST = "rest.fal.ai"
CDN_HOST = "v3.fal.media"
FAL_HOSTS = (QUEUE_HOST, RUN_HOST, REST_HOST, CDN_HOST, API_HOST)

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
_SEGMENT = re.compile(r"^[A-Za-z0-9._~\-]+$")
_NAMESPACES = ("workflows", "comfy")

TOKEN_PATHS = frozenset({"/tokens", "/tokens/"})
ENDPOINT_KINDS = frozenset({"submit", "run", "stream"})  # calls that name an endpoint to run
# a realtime token mint is billable too: each token lets its holder call apps directly on fal
BILLABLE_KINDS = ENDPOINT_KINDS | {"token"}
COSTLY_KINDS = BILLABLE_KINDS | {"storage", "cdn"}
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "0.0.0.0"})


def is_fal_host(host: str) -> bool:
    """A host of fal's own (queue, run, REST, CDN), the ones a real fal key is for."""
    host = host.lower().rstrip(".")
    return host in FAL_HOSTS or host.endswith((".fal.run", ".fal.ai", ".fal.media"))


def is_local_host(host: str) -> bool:
    """Loopback or a ``.localhost`` name: an upstream on this machine (a `falwidgets serve`)."""
    host = host.lower().strip("[]")
    return host in _LOCAL_HOSTS or host.startswith("127.") or host.endswith(".localhost")


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

    kind: str  # submit | request | run | stream | storage | token | cdn | history
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
            if is_fal_host(host):
                if parts.scheme != "https":
                    raise ValueError(f"--upstream on a fal host must be https, got {base!r}")
                self.base = None  # real fal: every host keeps its own address
                return
            self.local = is_local_host(host)
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
        if path.startswith(API_PREFIX + "/"):
            return API_HOST, path
        return QUEUE_HOST, path


def _segments(path: str) -> list[str]:
    parts = path.split("/")[1:]
    if not parts or any(not _SEGMENT.match(p) or p in (".", "..") for p in parts if p):
        raise Refusal(
            403, "target path has characters the proxy does not forward", "path_not_allowed"
        )
    if any(not p for p in parts[:-1]):
        raise Refusal(403, "target path has an empty segment", "path_not_allowed")
    return [p for p in parts if p]


def app_of(endpoint: str) -> str:
    """``owner/app`` (``workflows/owner/app``) of an endpoint id or glob: what status URLs use."""
    parts = endpoint.split("/")
    keep = 3 if parts[0] in _NAMESPACES else 2
    return "/".join(parts[:keep])


def endpoint_allowed(endpoint: str, allow: Sequence[str]) -> bool:
    """An empty allow-list allows every endpoint; else some glob must match the full id."""
    return not allow or any(fnmatchcase(endpoint, glob) for glob in allow)


def app_allowed(prefix: str, allow: Sequence[str]) -> bool:
    """Status/result/cancel paths name only ``owner/app`` (or the full id): match either form."""
    return not allow or any(
        fnmatchcase(prefix, glob) or fnmatchcase(prefix, app_of(glob)) for glob in allow
    )


def classify(method: str, url: str, upstream: Upstream, allow: Sequence[str] = ()) -> Target:
    """The :class:`Target` for ``method url``, or :class:`Refusal` (400 malformed, 403 refused)."""
    if not url:
        raise Refusal(400, "missing x-fal-target-url header (the real fal URL)", "bad_request")
    try:
        parts = urlsplit(url)
        netloc = parts.netloc
        port = parts.port  # a malformed port (":99999", ":abc") raises here, not later
    except ValueError:
        raise Refusal(
            400, "x-fal-target-url is not a URL (bad host or port)", "bad_request"
        ) from None
    if parts.username or parts.password or parts.fragment:
        raise Refusal(
            400, "x-fal-target-url must not carry credentials or a fragment", "bad_request"
        )
    mapped = upstream.to_fal(parts.scheme, netloc, parts.path)
    if mapped is not None:
        host, path = mapped
    else:
        host, path = (parts.hostname or "").lower(), parts.path or "/"
        if parts.scheme != "https" or port not in (None, 443):
            raise Refusal(
                403, f"target must be https on a fal host, not {netloc!r}", "host_not_allowed"
            )
        if host.endswith(".fal.media"):
            host = CDN_HOST
        if host not in FAL_HOSTS:
            raise Refusal(
                403, f"host {host!r} is not a fal host this proxy serves", "host_not_allowed"
            )
    segments = _segments(path)
    query = parts.query
    target = _classify_on_host(method, host, path, segments, query)
    names = [target.endpoint]
    if target.kind == "stream":  # ids may themselves end in /stream (fal-ai/flux-krea-lora/stream)
        names.append(target.endpoint + "/stream")
    if target.kind in ENDPOINT_KINDS and not any(endpoint_allowed(n, allow) for n in names):
        raise Refusal(
            403, f"endpoint {target.endpoint!r} is not allowed here", "endpoint_not_allowed"
        )
    if target.kind == "history" and not all(
        endpoint_allowed(e, allow) for e in target.endpoint.split(",")
    ):
        raise Refusal(
            403, f"endpoint {target.endpoint!r} is not allowed here", "endpoint_not_allowed"
        )
    if target.kind == "request" and not app_allowed(target.endpoint, allow):
        raise Refusal(
            403, f"endpoint {target.endpoint!r} is not allowed here", "endpoint_not_allowed"
        )
    return target


def _classify_on_host(method: str, host: str, path: str, segments: list[str], query: str) -> Target:
    def refuse(what: str) -> Refusal:
        return Refusal(403, f"{method} {host}{path} is not {what}", "path_not_allowed")

    if host == QUEUE_HOST:
        if "requests" in segments[2:]:
            at = segments.index("requests", 2)
            rest = segments[at + 1 :]
            ok = {(): "GET", ("status",): "GET", ("status", "stream"): "GET", ("cancel",): "PUT"}
            if not rest or ok.get(tuple(rest[1:])) != method:
                raise refuse("a queue request call")
            return Target("request", host, path, query, "/".join(segments[:at]), rest[0])
        if method != "POST" or len(segments) < 2:
            raise refuse("a queue submission")
        return Target("submit", host, path, query, "/".join(segments))
    if host == RUN_HOST:
        if method != "POST" or len(segments) < 2:
            raise refuse("a run call")
        if segments[-1] == "stream" and len(segments) > 2:
            return Target("stream", host, path, query, "/".join(segments[:-1]))
        return Target("run", host, path, query, "/".join(segments))
    if host == API_HOST:  # the platform API: only the request history (GET, by endpoint)
        if method != "GET" or path != REQUESTS_PATH:
            raise refuse("a request-history call")
        ids = [e.strip() for v in parse_qs(query).get("endpoint_id", []) for e in v.split(",")]
        if not [e for e in ids if e]:
            raise Refusal(400, "a request-history call needs endpoint_id", "bad_request")
        return Target("history", host, path, query, ",".join(e for e in ids if e))
    if host == REST_HOST:
        if method != "POST" or path not in STORAGE_PATHS:
            raise refuse("a storage or token call")
        return Target("token" if path in TOKEN_PATHS else "storage", host, path, query)
    # CDN: single upload, multipart initiate, part PUTs and complete
    if segments[:1] != ["files"]:
        raise refuse("a CDN upload")
    if method == "POST" and path in ("/files/upload", "/files/upload/multipart"):
        return Target("cdn", host, path, query)
    if len(segments) >= 4 and segments[-3] == "multipart":
        if method == "PUT" and segments[-1].isdigit():
            return Target("cdn", host, path, query)
        if method == "POST" and segments[-1] == "complete":
            return Target("cdn", host, path, query)
    raise refuse("a CDN upload")
