"""fal's platform model APIs on the local server (``api.fal.ai/v1``, fal-platform.md §2.2-2.3).

- ``GET /v1/models``: search over the bundled catalogue (1,340 endpoints,
  ``schema/_catalog_models``) plus this server's own endpoints (which win), with fal's filters
  (``q``, ``category``, ``status``, ``endpoint_id`` repeated or comma-separated), paging
  (``limit``, an opaque ``cursor`` that encodes the page number like fal's ``"Mg=="``,
  ``next_cursor``, ``has_more``) and ``expand=openapi-3.0``.
- ``GET /v1/models/pricing``: **demo** prices (:data:`DEMO_PRICES`) for the demo endpoints.
  Every other endpoint is *unknown*: it is left out of ``prices`` (fal lists only what it
  prices), so a client says "price unknown" instead of guessing.
- ``POST /v1/models/pricing/estimate``: both body forms; an endpoint without a price is a 404
  ``not_found`` naming it (an estimate with a hole would understate the total).

Errors use the platform shape ``{"error": {"type", "message"}}``.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute, Route

from falwidgets.schema._catalog_models import catalog_models
from falwidgets.schema._search import ModelIndex
from falwidgets.server._http import parse_json_body
from falwidgets.server._protocol import json_response
from falwidgets.server._registry import endpoints
from falwidgets.server._state import ServerState

# demo endpoint -> (unit price in USD, billing unit). Demo values, not fal's prices.
DEMO_PRICES: dict[str, tuple[float, str]] = {
    "fal-ai/fast-lcm-diffusion": (0.003, "image"),
    "fal-ai/flux-realism": (0.025, "image"),
    "fal-ai/imagen4/preview": (0.04, "image"),
    "fal-ai/flux-krea-lora/stream": (0.035, "megapixels"),
    "fal-ai/flux-2/klein/realtime": (0.01, "megapixels"),
    "fal-ai/toon-crafter": (0.05, "seconds"),
    "anthonywu/gamecraft": (0.2, "video"),
    "fal-ai/meshy/v5/multi-image-to-3d": (0.5, "generation"),
    "fal-ai/minimax-music/v1.5": (0.035, "audio"),
    "fal-ai/moondream3-preview/detect": (0.005, "request"),
}
DEFAULT_LIMIT = 20
MAX_LIMIT = 100
MAX_LIMIT_OPENAPI = 20  # fal: the maximum depends on the expansions
MAX_IDS = 50
EXPANSIONS = ("openapi-3.0", "enterprise_status")


def platform_error(status: int, kind: str, message: str) -> Response:
    return json_response({"error": {"type": kind, "message": message}}, status)


def encode_cursor(page: int) -> str:
    return base64.b64encode(str(page).encode()).decode()


def decode_cursor(cursor: str) -> int:
    try:
        page = int(base64.b64decode(cursor.encode(), validate=True).decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ValueError(f"invalid cursor {cursor!r}") from None
    if page < 1:
        raise ValueError(f"invalid cursor {cursor!r}")
    return page


def ids_of(request: Request) -> list[str]:
    """``endpoint_id`` repeated or comma-separated."""
    return [
        part.strip().strip("/")
        for value in request.query_params.getlist("endpoint_id")
        for part in value.split(",")
        if part.strip()
    ]


def _own_record(endpoint_id: str, known: dict[str, Any] | None) -> dict[str, Any]:
    definition = endpoints()[endpoint_id]
    meta = dict((known or {}).get("metadata") or {})
    doc_meta = ((definition.document or {}).get("info") or {}).get("x-fal-metadata") or {}
    meta.setdefault("display_name", endpoint_id.rsplit("/", 1)[-1].replace("-", " ").title())
    meta.setdefault("category", doc_meta.get("category") or "demo")
    meta.setdefault("status", "active")
    meta.setdefault("tags", [])
    meta.setdefault("is_favorited", None)
    meta.setdefault("thumbnail_url", doc_meta.get("thumbnailUrl"))
    meta.setdefault("model_url", f"https://fal.run/{endpoint_id}")
    meta["description"] = definition.description or meta.get("description") or ""
    meta["tags"] = sorted({*meta["tags"], "local"})
    for key in ("updated_at", "date"):
        meta.setdefault(key, None)
    meta.setdefault("highlighted", False)
    meta.setdefault("pinned", False)
    return {"endpoint_id": endpoint_id, "metadata": meta}


class ModelRoutes:
    """Handlers of ``/v1/models``, ``/v1/models/pricing`` and ``/v1/models/pricing/estimate``."""

    def __init__(self, state: ServerState) -> None:
        self.state = state
        self._index: tuple[frozenset[str], ModelIndex] | None = None

    def routes(self) -> list[BaseRoute]:
        return [
            Route("/v1/models", self.models, methods=["GET"]),
            Route("/v1/models/pricing", self.pricing, methods=["GET"]),
            Route("/v1/models/pricing/estimate", self.estimate, methods=["POST"]),
        ]

    def index(self) -> ModelIndex:
        """The catalogue plus this server's endpoints; rebuilt when the endpoints change."""
        own = frozenset(endpoints())
        if self._index is None or self._index[0] != own:
            catalog = {r["endpoint_id"]: r for r in catalog_models()}
            merged = dict(catalog)
            for endpoint_id in own:
                merged[endpoint_id] = _own_record(endpoint_id, catalog.get(endpoint_id))
            self._index = (own, ModelIndex(merged.values()))
        return self._index[1]

    async def models(self, request: Request) -> Response:
        params = request.query_params
        expand = params.getlist("expand")
        bad = [e for e in expand if e not in EXPANSIONS]
        if bad:
            return platform_error(400, "validation_error", f"unknown expand value {bad[0]!r}")
        ids = ids_of(request)
        if len(ids) > MAX_IDS:
            return platform_error(400, "validation_error", f"endpoint_id takes 1-{MAX_IDS} ids")
        status = params.get("status")
        if status not in (None, "active", "deprecated"):
            return platform_error(400, "validation_error", "status must be active or deprecated")
        openapi = "openapi-3.0" in expand
        top = MAX_LIMIT_OPENAPI if openapi else MAX_LIMIT
        try:
            limit = int(params.get("limit", DEFAULT_LIMIT))
            page = decode_cursor(params["cursor"]) if params.get("cursor") else 1
        except ValueError as error:
            return platform_error(400, "validation_error", str(error))
        if not 1 <= limit <= top:
            return platform_error(400, "validation_error", f"limit must be 1 to {top}")
        found = self.index().search(
            params.get("q"), category=params.get("category"), status=status, endpoint_ids=ids
        )
        chunk = found[(page - 1) * limit : page * limit]
        more = page * limit < len(found)
        items = []
        for record in chunk:
            item = dict(record)
            if openapi:
                item["openapi"] = self.document(record["endpoint_id"])
            if "enterprise_status" in expand:
                item["enterprise_status"] = "ready"
            items.append(item)
        return json_response(
            {
                "models": items,
                "next_cursor": encode_cursor(page + 1) if more else None,
                "has_more": more,
            }
        )

    @staticmethod
    def document(endpoint_id: str) -> dict[str, Any]:
        own = endpoints().get(endpoint_id)
        if own is not None and own.document:
            return own.document
        from falwidgets.schema._catalog import catalog_document

        try:
            return catalog_document(endpoint_id)
        except Exception as error:  # one expansion fails, not the call
            return {"error": {"code": "expansion_failed", "message": str(error)}}

    async def pricing(self, request: Request) -> Response:
        ids = ids_of(request)
        if not 1 <= len(ids) <= MAX_IDS:
            return platform_error(400, "validation_error", f"endpoint_id takes 1-{MAX_IDS} ids")
        prices = [
            {
                "endpoint_id": e,
                "unit_price": DEMO_PRICES[e][0],
                "unit": DEMO_PRICES[e][1],
                "currency": "USD",
            }
            for e in dict.fromkeys(ids)
            if e in DEMO_PRICES
        ]
        return json_response({"prices": prices, "next_cursor": None, "has_more": False})

    async def estimate(self, request: Request) -> Response:
        body, refusal = await parse_json_body(request)
        if refusal is not None:
            return refusal
        kind = body.get("estimate_type") if isinstance(body, dict) else None
        key = {"historical_api_price": "call_quantity", "unit_price": "unit_quantity"}.get(
            str(kind)
        )
        wanted = body.get("endpoints") if isinstance(body, dict) else None
        if key is None:
            return platform_error(
                400,
                "validation_error",
                "estimate_type must be historical_api_price or unit_price",
            )
        if not isinstance(wanted, dict) or not wanted:
            return platform_error(400, "validation_error", "endpoints must be a non-empty object")
        total = 0.0
        for endpoint_id, entry in wanted.items():
            quantity = entry.get(key) if isinstance(entry, dict) else None
            if isinstance(quantity, bool) or not isinstance(quantity, (int, float)) or quantity < 0:
                return platform_error(
                    400, "validation_error", f"endpoints[{endpoint_id!r}].{key} must be >= 0"
                )
            price = DEMO_PRICES.get(endpoint_id.strip("/"))
            if price is None:
                return platform_error(404, "not_found", f"no price known for {endpoint_id}")
            total += price[0] * quantity  # historical: one billing unit per call on demos
        return json_response(
            {"estimate_type": kind, "total_cost": round(total, 6), "currency": "USD"}
        )


def routes(state: ServerState) -> list[BaseRoute]:
    return ModelRoutes(state).routes()
