"""fal's queue protocol over httpx, sync and async, with a request journal that loses nothing.

- :class:`Client` / :class:`AsyncClient`: ``submit`` -> :class:`Handle`, ``subscribe``, ``run``,
  ``stream``, ``upload``, ``resume``; ``base_url`` points every host at one server (e.g. the local
  server), ``proxy_url`` goes through a key-holding proxy.
- :class:`Handle`: ``status``, ``events`` (SSE with polling fallback), ``result``, ``cancel``,
  ``Handle.from_request_id``. fal_client's names work too (``with_logs``, ``on_queue_update``,
  ``client_timeout``, ``on_enqueue``, ``get_handle``, ``handle.get``, ``iter_events``,
  ``client.status/result/cancel(app, request_id)``), so its code ports by changing the import.
- Errors under :class:`FalError` (a 422 is :class:`InputRejected`); every wait has a deadline
  (:class:`DeadlineExceeded` carries ``request_id``); the retry policy is documented in
  ``falwidgets.client._retry``.
- ``client.realtime(endpoint)``: fal's realtime WebSocket endpoints (latest input wins, token
  refresh, idle reconnect), see ``_realtime``.
- :func:`journal` lists every call (SQLite under ``FALWIDGETS_HOME``): queue submits before
  ``submit`` returns, and ``run``/``stream`` calls and refused submits once they end (under the
  server's ``x-fal-request-id`` or a ``local-…`` id; errors carry it as ``journal_id``);
  :func:`mark_journal` records a final state the client could not observe.
- Read-only ``hosts``, ``base_url``, ``proxy_url`` (token redacted), ``proxy_origin``,
  ``journalling`` and ``has_key`` say where a client sends calls, never its key.
- ``client.requests(endpoint_id, ...)`` lists fal's server-side history (:class:`RequestRecord`);
  a submit whose answer was lost is found there (``_reconcile``) or ends in
  :class:`AmbiguousSubmit`, and ``client.recover(journal_id)`` attaches it later.

- HTTP options the httpx way (``verify``, ``limits``, ``event_hooks``, ``transport``, ``proxy``,
  ``http2``); :class:`AsyncShardedTransport` / :class:`ShardedTransport` are opt-in transports
  for many requests in flight (a sweep): see ``falwidgets.client._sharded`` for why.
- ``models(q)``, ``pricing(ids)``, ``estimate(calls)``: fal's platform model search and prices
  (:class:`ModelRecord`, :class:`Price`, :class:`Estimate`; ``_models``, disk-cached).

This package never imports widgets or the server.
"""

from falwidgets.client._async import AsyncClient, AsyncHandle
from falwidgets.client._encode import data_uri
from falwidgets.client._errors import (
    AuthError,
    Cancelled,
    DeadlineExceeded,
    FalError,
    InputRejected,
    MissingCredentials,
    NotFound,
    RateLimited,
    RequestFailed,
    ServerError,
)
from falwidgets.client._journal import JournalEntry, journal, mark_journal
from falwidgets.client._models import Estimate, ModelRecord, Price
from falwidgets.client._platform import RequestRecord
from falwidgets.client._realtime import (
    AsyncRealtime,
    Realtime,
    RealtimeError,
    RealtimeFrame,
)
from falwidgets.client._reconcile import AmbiguousSubmit, reconcile_stats
from falwidgets.client._retry import RetryPolicy
from falwidgets.client._sharded import AsyncShardedTransport, ShardedTransport
from falwidgets.client._status import Completed, InProgress, Queued, Status
from falwidgets.client._sync import Client, Handle

__all__ = [
    "AmbiguousSubmit",
    "AsyncClient",
    "AsyncHandle",
    "AsyncRealtime",
    "AsyncShardedTransport",
    "AuthError",
    "Cancelled",
    "Client",
    "Completed",
    "DeadlineExceeded",
    "Estimate",
    "FalError",
    "Handle",
    "InProgress",
    "InputRejected",
    "JournalEntry",
    "MissingCredentials",
    "ModelRecord",
    "NotFound",
    "Price",
    "Queued",
    "RateLimited",
    "Realtime",
    "RealtimeError",
    "RealtimeFrame",
    "RequestFailed",
    "RequestRecord",
    "RetryPolicy",
    "ServerError",
    "ShardedTransport",
    "Status",
    "data_uri",
    "journal",
    "mark_journal",
    "reconcile_stats",
]
