"""`ServerState`: everything the routers share, owned by `Server` (one per running server)."""

from __future__ import annotations

import asyncio
import hashlib
import json
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

from falwidgets._aio import within
from falwidgets.server._faults import Faults
from falwidgets.server._jobs import JobQueue
from falwidgets.server._metrics import Metrics
from falwidgets.server._storage import Storage
from falwidgets.server._urls import rebase, request_base


def submission_digest(endpoint_id: str, arguments: Any) -> str:
    """Identity of one submission's content, to count duplicates of the same user action."""
    canonical = json.dumps([endpoint_id.strip("/"), arguments], sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class ServerState:
    """Job queue, storage, metrics and faults of one server, plus how it rebases URLs.

    `submissions` counts accepted queue submits by content digest (never the content itself), so
    `/_falwidgets/submissions` and the reliability tests can see a user action sent twice.
    """

    storage: Storage
    queue: JobQueue
    metrics: Metrics
    faults: Faults
    speed: float = 1.0
    ping_interval: float = 15.0
    from_host: bool = False  # rebase responses onto the request's Host (non-loopback binding)
    submissions: dict[str, int] = field(default_factory=dict)
    submission_endpoints: dict[str, str] = field(default_factory=dict)

    @property
    def base_url(self) -> str:
        """The canonical base every stored URL is issued under (see `_urls`)."""
        return self.storage.base_url

    def base_for(self, request: Request) -> str:
        return request_base(request, self.base_url, from_host=self.from_host)

    def outward(self, request: Request, value: Any) -> Any:
        """Stored JSON as this request should see it (URLs on the base it came in on)."""
        return rebase(value, self.base_url, self.base_for(request))

    def count_submission(self, endpoint_id: str, arguments: Any) -> None:
        digest = submission_digest(endpoint_id, arguments)
        with self.queue.lock:
            self.submissions[digest] = self.submissions.get(digest, 0) + 1
            self.submission_endpoints[digest] = endpoint_id


async def wait_set(event: asyncio.Event, timeout: float) -> bool:
    """Whether ``event`` was set within ``timeout`` s (one wake-up per job change or timeout)."""
    if event.is_set():
        return True
    try:
        await within(event.wait(), timeout)
    except asyncio.TimeoutError:
        return False
    return True
