"""A fal-compatible queue server with demo endpoints that make real media, fully offline.

```python
from falwidgets.server import serve
with serve(port=0, speed=0.1) as server:   # background thread; works inside notebooks
    print(server.url)                         # queue at <url>/, fal.run at <url>/run/
```

One base URL serves every fal host: the queue (`queue.fal.run`) at `<url>/`, the synchronous run
path (`fal.run`) at `<url>/run/`, storage (`rest.fal.ai`) and the CDN (`v3.fal.media`) at `<url>/`.
`point_fal_client(server.url)` aims the official `fal_client` module at it (realtime included);
`@endpoint` serves your own Python functions the same way as the demos, `realtime=True` also on
fal's realtime WebSocket (`/run/<id>/realtime`, see `_realtime`).

`serve(host="0.0.0.0")` (only when asked) answers each caller with URLs on the Host it used;
`public_url=` fixes them instead (reverse proxies). Demo endpoints bound work the real schemas leave
open (at most 2000 steps, 4 flux images, 4096 px a side): beyond that a submit gets a fal 422.
"""

from __future__ import annotations

from falwidgets.server._context import FieldError, JobCancelled, JobContext
from falwidgets.server._falclient import point_fal_client
from falwidgets.server._faults import Faults
from falwidgets.server._realtime import RealtimeOptions
from falwidgets.server._registry import endpoint, endpoints
from falwidgets.server._server import Server, serve

__all__ = [
    "Faults",
    "FieldError",
    "JobCancelled",
    "JobContext",
    "RealtimeOptions",
    "Server",
    "endpoint",
    "endpoints",
    "point_fal_client",
    "serve",
]
