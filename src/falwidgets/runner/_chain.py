"""Chaining: "Use in…" a result's file in another endpoint whose schema takes that media kind.

:func:`endpoints_taking` lists the candidates from the bundled catalogue's top-level file inputs
(found by the schema layer's roles at build time, ``schema/_catalog_models.media_inputs``),
searchable with the browser's ranking (``schema/_search``). :func:`use_in` is the small widget the
result pane's "Use in…" button opens: a search box, the list, and the picked endpoint's app
opened in place with the URL already in its matching file field.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import ipywidgets as w

from falwidgets.previews import esc
from falwidgets.schema._catalog_models import catalog_models, media_inputs
from falwidgets.schema._search import ModelIndex

# preview kinds (``falwidgets._media``) -> the schema layer's media kinds
KIND_ALIASES: dict[str, str] = {"glb": "model3d", "mesh": "model3d", "3d": "model3d"}
KINDS = ("image", "video", "audio", "model3d", "mask", "file")
MAX_SHOWN = 50


@dataclass(frozen=True)
class Target:
    """An endpoint that takes a file of some kind in ``field`` (a list field when ``many``)."""

    endpoint_id: str
    display_name: str
    category: str
    field: str
    many: bool

    def inputs_for(self, url: str) -> dict[str, Any]:
        return {self.field: [url] if self.many else url}


def normalize_kind(kind: str) -> str:
    kind = KIND_ALIASES.get(kind.strip().lower(), kind.strip().lower())
    if kind not in KINDS:
        raise ValueError(f"unknown media kind {kind!r}; use one of {', '.join(KINDS)}")
    return kind


def endpoints_taking(kind: str, q: str | None = None) -> list[Target]:
    """Endpoints whose input takes ``kind`` (image, video, audio, model3d, mask), best match of
    ``q`` first (without ``q``: those whose category starts with the kind, then by id)."""
    kind = normalize_kind(kind)
    fields: dict[str, tuple[str, bool]] = {}
    for endpoint_id, inputs in media_inputs().items():
        hit = next(((f, many) for f, media, many in inputs if media == kind), None)
        if hit is not None:
            fields[endpoint_id] = hit
    records = [r for r in catalog_models() if r["endpoint_id"] in fields]
    found = ModelIndex(records).search(q)
    if not (q or "").strip():
        found = sorted(
            found,
            key=lambda r: (
                not str(r["metadata"].get("category", "")).startswith(kind),
                r["endpoint_id"],
            ),
        )
    return [
        Target(
            r["endpoint_id"],
            str(r["metadata"].get("display_name") or r["endpoint_id"]),
            str(r["metadata"].get("category") or ""),
            *fields[r["endpoint_id"]],
        )
        for r in found
    ]


def target_for(kind: str, endpoint_id: str, q: str | None = None) -> Target:
    """The :class:`Target` of ``endpoint_id`` for a file of ``kind`` (an error naming the kind
    when that endpoint takes no such file)."""
    found = next((t for t in endpoints_taking(kind, q) if t.endpoint_id == endpoint_id), None)
    if found is None and q:
        found = next((t for t in endpoints_taking(kind) if t.endpoint_id == endpoint_id), None)
    if found is None:
        raise ValueError(f"{endpoint_id!r} does not take an {normalize_kind(kind)}")
    return found


def kind_of_url(url: str) -> str:
    from falwidgets._media import kind_of

    found = kind_of(url)
    if found is None:
        raise ValueError(f"cannot tell the media kind of {url[:80]!r}: pass kind='image' etc.")
    return normalize_kind(found)


class UseIn(w.VBox):
    """Search, pick, and the picked endpoint's app (pre-filled with ``url``) below."""

    def __init__(self, url: str, kind: str | None = None, *, q: str | None = None) -> None:
        if not isinstance(url, str) or not url.strip():
            raise ValueError("use_in() needs the URL of a result file")
        self.url = url.strip()
        self.kind = normalize_kind(kind) if kind else kind_of_url(self.url)
        self.app: Any = None
        self.search = w.Text(
            value=q or "",
            placeholder=f"Search endpoints that take this {self.kind}…",
            continuous_update=True,
        )
        self.search.add_class("fw-usein-search")
        self.choices = w.Select(options=[], rows=8, layout=w.Layout(width="100%"))
        self.choices.add_class("fw-usein-list")
        self.open_button = w.Button(description="Open", icon="external-link", disabled=True)
        self.open_button.add_class("fw-usein-open")
        self.caption = w.HTML("")
        self.slot = w.VBox([])
        self.search.observe(lambda _c: self.refresh(), names="value")
        self.choices.observe(
            lambda c: setattr(self.open_button, "disabled", c["new"] is None), names="value"
        )
        self.open_button.on_click(lambda _b: self.pick())
        super().__init__(
            [self.search, self.choices, w.HBox([self.open_button, self.caption]), self.slot]
        )
        self.add_class("fw-usein")
        self.refresh()

    @property
    def targets(self) -> list[Target]:
        return list(self._targets)

    def refresh(self) -> None:
        self._targets = endpoints_taking(self.kind, self.search.value)
        shown = self._targets[:MAX_SHOWN]
        self.choices.options = [
            (f"{t.display_name} — {t.endpoint_id} ({t.field})", t.endpoint_id) for t in shown
        ]
        more = len(self._targets) - len(shown)
        count = len(self._targets)
        says = "1 endpoint takes" if count == 1 else f"{count} endpoints take"
        tail = f" ({more} more: refine the search)" if more > 0 else ""
        self.caption.value = (
            f'<span class="fw-note-text">{says} this {esc(self.kind)}{esc(tail)}</span>'
        )

    def pick(self, endpoint_id: str | None = None) -> Any:
        """Open the app of ``endpoint_id`` (default: the selected one) with the URL filled in."""
        from falwidgets.runner._app import app

        chosen = endpoint_id or self.choices.value
        target = next((t for t in self._targets if t.endpoint_id == chosen), None)
        target = target or target_for(self.kind, str(chosen))
        if self.app is not None:
            self.app.close()
        self.app = app(target.endpoint_id, inputs=target.inputs_for(self.url))
        self.slot.children = [self.app]
        return self.app


def use_in(url: str, kind: str | None = None, *, q: str | None = None) -> UseIn:
    """Endpoints that take the file at ``url`` (its kind from the URL unless given); pick one to
    open its app with the URL already in its matching file field."""
    return UseIn(url, kind, q=q)
