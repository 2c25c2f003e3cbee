"""Wire facts of fal's platform API (``api.fal.ai/v1``) shared by the client, the local server
and the proxy: where it lives relative to a one-server layout, and the local server's promise.

Base URLs: fal serves it at ``https://api.fal.ai/v1/...``. A one-server layout (``falwidgets
serve``, ``Client(base_url=...)``) serves it at ``<base>/v1/...``: the client's ``api`` host is
the base URL itself, like queue, rest and CDN (only ``fal.run`` moves to ``<base>/run``).

``LISTS_IN_FLIGHT`` is a response header on ``/v1/models/requests/by-endpoint``: its value
``complete`` promises that the listing shows every request the server accepted before the answer
was made, queued and running ones included. fal documents no such promise (its default sort is
by end time), so a client may prove a lost submit absent only where this header says so; it is
never inferred from anything else.

This module imports nothing from the package: any layer may use it.
"""

from __future__ import annotations

__all__ = ["API_HOST", "API_PREFIX", "LISTS_IN_FLIGHT", "LISTS_IN_FLIGHT_VALUE", "REQUESTS_PATH"]

API_HOST = "api.fal.ai"
API_PREFIX = "/v1"
REQUESTS_PATH = "/v1/models/requests/by-endpoint"
LISTS_IN_FLIGHT = "x-falwidgets-lists-in-flight"
LISTS_IN_FLIGHT_VALUE = "complete"
