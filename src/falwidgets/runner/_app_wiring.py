"""What the app shows besides the form and the run: cost, "Use in…" and the Live switch.

A mixin of :class:`falwidgets.runner.App` (issues 13 and 14), kept out of ``_app.py`` so the run
machinery stays one job. The rules live elsewhere and are only wired here:

- cost (``_costs``): the header's price line (``price_line``: "$0.025 per image" or "price
  unknown") and the Run button's estimate for the current inputs (``estimate_for``, recomputed on
  every edit; empty when the unit cannot be counted from the inputs: never a guess). The price is
  fetched once, in a thread, so making an app never waits on the platform API.
- "Use in…" (``_chain``): the browser asks for endpoints taking a result's media kind
  (``use_in_search``) and picks one (``use_in_open``); that endpoint's app, pre-filled with the
  URL, is a child widget the app draws below its result (``chained``).
- Live (``_live``): apps of realtime-capable endpoints get a switch; on, every edit goes through a
  :class:`LiveSession` (latest input wins, throttled) and each frame reaches ``live_frame`` with
  fps and latency; off closes the session.
"""

from __future__ import annotations

import threading
from typing import Any

import traitlets

from falwidgets.previews import safe_url
from falwidgets.runner._costs import UNKNOWN, estimate_for, money, price_of, schema_defaults

_LOADING: Any = object()  # the price is still being fetched (None: known to be unknown)
USE_IN_SHOWN = 12  # rows of the "Use in…" list; the search narrows the rest


class AppWiring(traitlets.HasTraits):
    """Traits and handlers for cost, "Use in…" and Live; ``App`` calls :meth:`_wire` once its
    target and backend are known, :meth:`wiring_message` first in ``handle_message`` and
    :meth:`_unwire` in ``close``."""

    # {"line": "$0.025 per image" | "price unknown" | "" (loading), "estimate": "est. $0.05" | ""}
    cost = traitlets.Dict().tag(sync=True)
    # the "Use in…" app drawn below the result: {"ref": "anywidget:<id>", "endpoint_id", "title"}
    chained = traitlets.Dict().tag(sync=True)
    # {"available", "on", "frames", "fps", "latency_ms", "prompt", "error"}
    live = traitlets.Dict().tag(sync=True)
    live_url = traitlets.Unicode("").tag(sync=True)  # a frame given by URL; bytes go by message

    # set by App
    endpoint: str | None
    value: dict[str, Any]

    def _wire(self) -> None:
        self._price: Any = _LOADING
        self._defaults: dict[str, Any] = {}
        self.chained_app: Any = None
        self.live_session: Any = None
        if self.endpoint is None:
            return
        self.cost = {"line": "", "estimate": ""}
        threading.Thread(target=self._load_price, name="falwidgets-price", daemon=True).start()
        self.observe(self._reestimate, names="value")  # type: ignore[attr-defined]
        from falwidgets.runner._live import realtime_capable

        document = getattr(getattr(self, "target", None), "form_source", None)
        document = getattr(document, "document", None)
        if realtime_capable(self.endpoint, document if isinstance(document, dict) else None):
            self.live = {"available": True, "on": False}
            self.observe(self._live_edit, names="value")  # type: ignore[attr-defined]

    # -- cost ----------------------------------------------------------------------------------
    def _load_price(self) -> None:
        endpoint = self.endpoint or ""
        try:
            price = price_of(endpoint, self.client)  # type: ignore[attr-defined]
        except Exception:  # the backend could not start: the price is unknown, not an error
            price = None
        self._defaults = schema_defaults(endpoint) if price is not None else {}
        self._price = price
        self._reestimate()

    def estimate(self) -> float | None:
        """The estimated cost of a run with the current inputs (None: not countable/unknown)."""
        if self._price is None or self._price is _LOADING or self.endpoint is None:
            return None
        return estimate_for(self.endpoint, self.value, price=self._price, defaults=self._defaults)

    def _reestimate(self, _change: Any = None) -> None:
        if self.endpoint is None or getattr(self, "_price", _LOADING) is _LOADING:
            return  # the line appears when the price is known (or known to be unknown)
        line = str(self._price) if self._price is not None else UNKNOWN
        cost = self.estimate()
        self.cost = {"line": line, "estimate": f"est. {money(cost)}" if cost is not None else ""}

    # -- Use in… -------------------------------------------------------------------------------
    def use_in_targets(self, kind: str, q: str = "") -> list[dict[str, Any]]:
        from falwidgets.runner._chain import endpoints_taking

        return [
            {
                "endpoint_id": t.endpoint_id,
                "name": t.display_name,
                "category": t.category,
                "field": t.field,
            }
            for t in endpoints_taking(kind, q)
        ]

    def use_in(self, url: str, endpoint_id: str, kind: str | None = None) -> Any:
        """Open ``endpoint_id``'s app below this one with ``url`` in its matching file field."""
        from falwidgets.runner._app import app
        from falwidgets.runner._chain import kind_of_url, normalize_kind, target_for

        if safe_url(url) is None:
            raise ValueError("Use in… takes http(s) or media data: URLs only")
        kind = normalize_kind(kind) if kind else kind_of_url(url)
        target = target_for(kind, endpoint_id)
        old = self.chained_app
        client = getattr(self, "_backend", None)
        chained = app(
            target.endpoint_id,
            inputs=target.inputs_for(url),
            client=client.client if client is not None else None,
        )
        self.chained_app = chained
        self.chained = {
            "ref": f"anywidget:{chained.model_id}",
            "endpoint_id": target.endpoint_id,
            "title": target.display_name,
        }
        if old is not None:
            old.close()
        return chained

    # -- Live ----------------------------------------------------------------------------------
    def set_live(self, on: bool) -> None:
        """Switch Live on (every edit streams through a realtime session) or off (closed)."""
        if not self.live.get("available"):
            raise ValueError(f"{self.endpoint} is not a realtime endpoint: no Live switch")
        from falwidgets.runner._live import LiveSession

        if on and self.live_session is None:
            self.live_session = LiveSession(
                self.endpoint or "",
                self.client,  # type: ignore[attr-defined]
                on_frame=self._live_frame,
                on_error=self._live_error,
            )
            self.live = {"available": True, "on": True, "frames": 0, "error": ""}
            self.live_session.send(self.value)
        elif not on and self.live_session is not None:
            session, self.live_session = self.live_session, None
            session.close()
            self.live = {**self.live, "on": False}

    def _live_edit(self, change: Any) -> None:
        if self.live_session is not None:
            self.live_session.send(self.value)  # latest wins: the session drops stale inputs

    def _live_frame(self, frame: Any) -> None:
        if self.live_session is None:
            return
        prompt = (frame.input or {}).get("prompt")
        image = frame.image
        if image is not None and image.data:
            # a custom message with the bytes as a buffer: frames never pile up in the widget
            # state (nor in a saved notebook), and the state stays JSON
            self.send({"type": "live_frame", "mime": image.mime}, [image.data])  # type: ignore[attr-defined]
        with self.hold_sync():  # type: ignore[attr-defined]
            if image is not None and not image.data:
                self.live_url = image.url if safe_url(image.url) else ""
            self.live = {
                "available": True,
                "on": True,
                "frames": frame.index,
                "fps": round(frame.fps, 1),
                "latency_ms": round(frame.latency * 1000, 1),
                "prompt": prompt if isinstance(prompt, str) else "",
                "error": "",
            }

    def _live_error(self, message: str) -> None:
        self.live = {**self.live, "error": message[:500]}

    # -- hooks -----------------------------------------------------------------------------------
    def wiring_message(self, content: dict[str, Any]) -> bool:
        """Handle the browser's cost/Use in…/Live messages; False for every other message."""
        kind = content.get("type")
        handler = _HANDLERS.get(str(kind))
        if handler is None:
            return False
        try:
            handler(self, content)
        except Exception as exc:  # shown where the user clicked, never raised into the comm
            self.send({"type": "wiring_error", "for": kind, "text": str(exc)[:500]})  # type: ignore[attr-defined]
        return True

    def _unwire(self) -> None:
        session, self.live_session = getattr(self, "live_session", None), None
        if session is not None:
            session.close()
        chained, self.chained_app = getattr(self, "chained_app", None), None
        if chained is not None:
            chained.close()


def _search(owner: AppWiring, content: dict[str, Any]) -> None:
    found = owner.use_in_targets(str(content.get("kind") or ""), str(content.get("q") or ""))
    owner.send(  # type: ignore[attr-defined]
        {
            "type": "use_in_list",
            "seq": content.get("seq"),
            "items": found[:USE_IN_SHOWN],
            "count": len(found),
        }
    )


def _open(owner: AppWiring, content: dict[str, Any]) -> None:
    owner.use_in(
        str(content.get("url") or ""),
        str(content.get("endpoint_id") or ""),
        str(content.get("kind") or "") or None,
    )


def _live(owner: AppWiring, content: dict[str, Any]) -> None:
    owner.set_live(bool(content.get("on")))


# browser message type -> handler (a registry: a new message is one line here)
_HANDLERS = {"use_in_search": _search, "use_in_open": _open, "live": _live}
