"""`ProxyConfig`: everything one proxy enforces, checked once at start-up (a bad upstream URL, a
missing key or a negative limit fail before any student connects)."""

from __future__ import annotations

from dataclasses import dataclass, field

from falwidgets.proxy._rules import Upstream

MiB = 1024 * 1024


@dataclass
class ProxyConfig:
    """Everything the proxy enforces. ``key`` and the student tokens are kept out of the repr on
    purpose (a printed config ends up in saved notebooks); ``labels`` shows who can call."""

    tokens: dict[str, str] = field(repr=False)  # token -> label
    upstream: str | None = None  # None: the real fal hosts
    allow: tuple[str, ...] = ()  # endpoint-id globs; empty allows all endpoints
    rate_per_min: int | None = None
    budget: int | None = None
    max_body: int = 16 * MiB  # JSON calls
    max_upload: int = 100 * MiB  # CDN upload bodies
    key: str | None = field(default=None, repr=False)
    timeout: float = 120.0  # queue, storage and upload calls
    run_timeout: float = 900.0  # synchronous fal.run calls answer only when the model is done
    calls_per_min: int | None = 1200  # every call, per token: generous, but never unbounded
    max_uploads: int | None = 500  # storage initiates and CDN upload starts, per token
    max_parts: int | None = 5000  # multipart part uploads, per token
    cors_origins: tuple[str, ...] = ("*",)
    frames_per_unit: int = 10  # realtime inputs per budget unit (see _realtime)
    labels: tuple[str, ...] = field(init=False, default=())

    def __post_init__(self) -> None:
        if not self.tokens:
            raise ValueError("the proxy needs at least one student token")
        self.labels = tuple(sorted(self.tokens.values()))
        upstream = Upstream(self.upstream)  # a bad URL fails here, at start-up
        if upstream.is_fal:
            self.upstream = None  # --upstream https://queue.fal.run means fal itself
        if not self.key and not upstream.local:
            where = "fal" if upstream.is_fal else f"the upstream {self.upstream}"
            raise ValueError(
                f"no fal key for {where}: set FAL_KEY (or FAL_KEY_ID and FAL_KEY_SECRET) where "
                "the proxy runs (only a loopback upstream such as `falwidgets serve` needs none)"
            )
        if self.frames_per_unit < 1:
            raise ValueError(f"frames_per_unit must be >= 1, got {self.frames_per_unit}")
        for name in ("rate_per_min", "budget", "calls_per_min", "max_uploads", "max_parts"):
            value = getattr(self, name)
            if value is not None and value < 0:
                raise ValueError(f"{name} must be >= 0, got {value}")
        self.allow = tuple(self.allow)
