"""browse(): search fal's models as you type, pick one, and its app opens in place.

Offline (no key, or ``FALWIDGETS_LOCAL``) the search runs over the bundled catalogue's metadata
(``schema/_catalog_models``) with an in-memory :class:`~falwidgets.schema._search.ModelIndex`: well
under the 30 ms per keystroke budget for 1,340 entries (``bench/browse.py``). With a key it asks
fal's ``/v1/models`` (``Client.models``) on the runner loop, so typing never waits on the network;
a late answer to an old query is dropped. Prices for the shown cards are fetched the same way
(``client.pricing``, disk-cached) and filled in when they arrive; unknown ones say so.

The view is an anywidget (``js/src/browse/index.js`` built to ``static/browse.js`` by
``npm run build``); the picked model's app goes in a slot below it.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Mapping
from typing import Any

import anywidget
import ipywidgets as w
import traitlets

from falwidgets._static import bundle
from falwidgets.client import AsyncClient
from falwidgets.previews import safe_url
from falwidgets.runner import _loop
from falwidgets.runner._backend import Backend, backend_for, force_local, has_key
from falwidgets.schema._catalog_models import catalog_models
from falwidgets.schema._search import ModelIndex

SHOWN = 60  # cards per answer; refine the query for more
LIVE_TIMEOUT = 15.0
PRICE_DEBOUNCE = 0.15  # seconds without a keystroke before prices are fetched

_index_lock = threading.Lock()
_index: ModelIndex | None = None


def catalog_index() -> ModelIndex:
    """The bundled catalogue's search index (built once per kernel, ~50 ms)."""
    global _index
    with _index_lock:
        if _index is None:
            _index = ModelIndex(catalog_models())
        return _index


def card_of(record: Mapping[str, Any], price: str | None = None) -> dict[str, Any]:
    """What the view shows of one ``/v1/models`` record (URLs through ``safe_url``)."""
    meta = record.get("metadata") or {}
    return {
        "endpoint_id": str(record.get("endpoint_id", "")),
        "display_name": str(meta.get("display_name") or record.get("endpoint_id", "")),
        "category": str(meta.get("category") or ""),
        "description": str(meta.get("description") or "")[:300],
        "thumbnail_url": safe_url(meta.get("thumbnail_url")) or "",
        "price": price or "",
    }


class BrowseView(anywidget.AnyWidget):
    """Search box, category chips, result cards; JS sets ``query``/``category``."""

    _esm = bundle("browse")
    query = traitlets.Unicode("").tag(sync=True)
    category = traitlets.Unicode("").tag(sync=True)
    categories: traitlets.List[Any] = traitlets.List().tag(sync=True)
    results = traitlets.List(traitlets.Dict()).tag(sync=True)
    status = traitlets.Unicode("").tag(sync=True)


class Browser(w.VBox):
    """The model browser; ``search(q, category)`` from Python does what typing does."""

    def __init__(
        self,
        q: str | None = None,
        category: str | None = None,
        *,
        client: AsyncClient | None = None,
        live: bool | None = None,
    ) -> None:
        self.backend: Backend = backend_for(client)
        self.live = (has_key() and not force_local()) if live is None else live
        self.index = catalog_index()
        self.app: Any = None
        self.view = BrowseView(categories=[list(c) for c in self.index.categories()])
        self.slot = w.VBox([])
        self._generation = 0
        self._found: list[Mapping[str, Any]] = []
        self.view.observe(self._on_change, names=["query", "category"])
        self.view.on_msg(self._on_msg)
        super().__init__([self.view, self.slot])
        self.add_class("fw-browse-box")
        with self.view.hold_trait_notifications():
            self.view.query = q or ""
            self.view.category = category or ""
        self.refresh()

    # -- searching -----------------------------------------------------------------------------
    def _on_change(self, _change: Any) -> None:
        self.refresh()

    def search(self, q: str | None = None, category: str | None = None) -> list[str]:
        """Set the query and category (as typing and the chips do); the matching ids."""
        with self.view.hold_trait_notifications():
            self.view.query = q or ""
            self.view.category = category or ""
        return self.endpoint_ids

    @property
    def endpoint_ids(self) -> list[str]:
        return [str(r.get("endpoint_id")) for r in self._found]

    def refresh(self) -> None:
        self._generation += 1
        generation = self._generation
        q, category = self.view.query, self.view.category or None
        if self.live:
            self.view.status = "Searching fal…"
            _loop.spawn(self._live(generation, q, category))
            return
        found = self.index.search(q, category=category)
        self._show(generation, found, "the bundled catalogue")

    def _show(self, generation: int, found: list[Mapping[str, Any]], where: str) -> None:
        if generation != self._generation:
            return  # an answer to an older query
        self._found = found
        shown = found[:SHOWN]
        self.view.results = [card_of(r) for r in shown]
        more = f", first {SHOWN} shown" if len(found) > SHOWN else ""
        self.view.status = f"{len(found)} models in {where}{more}"
        _loop.spawn(self._prices(generation, [str(r.get("endpoint_id")) for r in shown]))

    async def _live(self, generation: int, q: str, category: str | None) -> None:
        found: list[Mapping[str, Any]] = []

        async def collect() -> None:
            async for model in self.backend.client.models(q or None, category=category):
                found.append({"endpoint_id": model.endpoint_id, "metadata": model.metadata})
                if len(found) >= SHOWN:
                    break

        try:
            await asyncio.wait_for(collect(), LIVE_TIMEOUT)
        except Exception as error:  # offline or refused: fall back to the bundled catalogue
            self._show(
                generation,
                self.index.search(q, category=category),
                f"the bundled catalogue (fal search failed: {type(error).__name__})",
            )
            return
        self._show(generation, found, "fal")

    async def _prices(self, generation: int, ids: list[str]) -> None:
        await asyncio.sleep(PRICE_DEBOUNCE)  # typing on: only the settled query's prices
        if not ids or generation != self._generation:
            return
        try:
            known = await self.backend.client.pricing(ids)
        except Exception:  # no key, proxy, offline: the prices stay unknown
            return
        if generation != self._generation or not known:
            return
        self.view.results = [
            {**card, "price": str(known[card["endpoint_id"]])}
            if card["endpoint_id"] in known
            else card
            for card in self.view.results
        ]

    # -- picking -------------------------------------------------------------------------------
    def _on_msg(self, _widget: Any, content: Any, _buffers: Any) -> None:
        if isinstance(content, dict) and content.get("type") == "pick":
            endpoint_id = content.get("endpoint_id")
            if isinstance(endpoint_id, str) and endpoint_id:
                self.pick(endpoint_id)

    def pick(self, endpoint_id: str, inputs: Mapping[str, Any] | None = None) -> Any:
        """Open ``endpoint_id``'s app below the browser (replacing the one open before)."""
        from falwidgets.runner._app import app
        from falwidgets.schema import catalog

        source: Any = endpoint_id
        if self.live and endpoint_id not in set(catalog()):
            from falwidgets.schema import load_endpoint
            from falwidgets.schema._catalog import endpoint_url

            source = load_endpoint(endpoint_url(endpoint_id))  # fal's live schema, cached
        if self.app is not None:
            self.app.close()
        self.app = app(source, endpoint=endpoint_id, inputs=inputs)
        self.slot.children = [self.app]
        return self.app

    def close(self) -> None:
        if self.app is not None:
            self.app.close()
        self.view.close()
        super().close()


def browse(q: str | None = None, category: str | None = None) -> Browser:
    """Search fal's models as you type (offline over the bundled catalogue, live with a key);
    category chips, thumbnails and prices when known; pick one to open its app in place."""
    return Browser(q, category)
