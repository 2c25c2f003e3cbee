"""The result -> preview registry: ordered ``(predicate, factory)`` entries, user entries first.

Like magicgui's return-annotation callbacks, but keyed by predicates over output *nodes*, because
fal outputs are untyped JSON: the walker offers every node (the whole output, each property,
each list item) to the entries in order; the first factory that returns something renders that
node and its subtree. A factory returns an HTML fragment (``str``, which it must escape itself:
use `falwidgets.previews.esc` and `safe_url`), an ipywidgets ``Widget``, a `Block`, or None to
decline and let the next entry try.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, Union

from falwidgets._registration import Registration, UserEntries
from falwidgets.previews._media import MediaRef, as_media

if TYPE_CHECKING:
    from ipywidgets import Widget

    from falwidgets.schema import FieldSpec

__all__ = [
    "Block",
    "Entry",
    "Factory",
    "Node",
    "Predicate",
    "PreviewRegistry",
    "Registration",
    "register_preview",
    "registry",
]

Path = tuple[str | int, ...]

# kinds that merge with an adjacent block of the same kind and label
BlockKind = Literal["gallery", "downloads", "chips", "html", "widget", "json"]


@dataclass
class Block:
    """A rendered piece of a preview. ``parts`` of adjacent mergeable blocks are concatenated."""

    kind: BlockKind
    parts: list[str] = field(default_factory=list)
    label: str = ""
    widget: Widget | None = None


@dataclass(eq=False)
class Node:
    """One place in an output, as seen by predicates and factories."""

    value: Any
    key: str | int | None = None
    path: Path = ()
    spec: FieldSpec | None = None
    parent: Node | None = None
    walk: Any = field(default=None, repr=False)  # the walk's shared state (`_walk._Walk`)
    _media: MediaRef | bool | None = field(default=False, repr=False)

    @property
    def name(self) -> str:
        """The field this value sits under; for list items, the list's field ("" at the root)."""
        node: Node | None = self
        while node is not None:
            if isinstance(node.key, str):
                return node.key
            node = node.parent
        return ""

    @property
    def label(self) -> str:
        """A human label: the spec's title, else the field name in words."""
        if self.spec is not None and self.spec.title and not isinstance(self.key, int):
            return self.spec.title
        return self.name.replace("_", " ").strip().capitalize()

    @property
    def group_label(self) -> str:
        """The label of the top-level field holding this node: files under ``model_urls`` or
        ``texture_urls[i].base_color`` gather under one heading instead of one per key."""
        node = self
        while node.parent is not None and node.parent.parent is not None:
            node = node.parent
        return node.label if isinstance(node.key, str) else self.label

    @property
    def media(self) -> MediaRef | None:
        """This value as a file (`MediaRef`), or None; computed once."""
        if self._media is False:
            spec_media = self.spec.media if self.spec is not None else None
            self._media = as_media(self.value, self.name, spec_media)
        return self._media  # type: ignore[return-value]

    def child(self, key: str | int) -> Node:
        """The node for ``self.value[key]``, with its spec when the output spec has one."""
        spec = None
        if self.spec is not None:
            if isinstance(key, int):
                spec = self.spec.items
            else:
                spec = next((p for p in self.spec.properties if p.name == key), None)
        return Node(
            self.value[key], key=key, path=(*self.path, key), spec=spec, parent=self, walk=self.walk
        )

    def children(self) -> list[Node]:
        if isinstance(self.value, dict):
            return [self.child(k) for k in self.value]
        if isinstance(self.value, (list, tuple)):
            return [self.child(i) for i in range(len(self.value))]
        return []

    def consume(self, other: Node) -> None:
        """Mark ``other`` as rendered by this node's factory (e.g. the image under some boxes)."""
        if self.walk is not None:
            self.walk.consume(other.path)


Predicate = Callable[[Node], bool]
Factory = Callable[[Node], Union[str, "Widget", Block, None]]


@dataclass(frozen=True)
class Entry:
    predicate: Predicate
    factory: Factory
    name: str = ""


def _as_predicate(predicate: Predicate | type | tuple[type, ...]) -> Predicate:
    if isinstance(predicate, type) or (
        isinstance(predicate, tuple) and all(isinstance(t, type) for t in predicate)
    ):
        types = predicate
        return lambda node: isinstance(node.value, types)
    if not callable(predicate):
        raise TypeError(
            f"register_preview: predicate must be a type or a callable(node) -> bool, "
            f"got {type(predicate).__name__}"
        )
    return predicate


class PreviewRegistry(UserEntries[Entry]):
    """Ordered entries: user registrations (newest first), then the built-ins."""

    def __init__(self) -> None:
        super().__init__()
        self._builtin: list[Entry] = []

    def entries(self) -> list[Entry]:
        return [*self._user, *self._builtin]

    def register(
        self,
        predicate: Predicate | type | tuple[type, ...],
        factory: Factory | None = None,
        *,
        name: str = "",
    ) -> Registration[Entry]:
        """Add an entry ahead of every earlier one (so users override the built-ins); without
        ``factory`` the returned handle is a decorator."""
        pred = _as_predicate(predicate)

        def bind(func: Factory) -> Entry:
            if not callable(func):
                raise TypeError(f"register_preview: factory must be callable, got {func!r}")
            return Entry(pred, func, name or getattr(func, "__name__", ""))

        if factory is None:
            return self._pending(bind)
        return self._add(bind(factory))

    def builtin(self, predicate: Predicate, *, name: str = "") -> Callable[[Factory], Factory]:
        """Decorator for the package's own entries (appended, in definition order)."""

        def deco(factory: Factory) -> Factory:
            self._builtin.append(Entry(predicate, factory, name or factory.__name__))
            return factory

        return deco


registry = PreviewRegistry()


def register_preview(
    predicate: Predicate | type | tuple[type, ...], factory: Factory | None = None
) -> Registration[Entry]:
    """Render output nodes matching ``predicate`` with ``factory``, ahead of the built-ins.

    ``predicate`` is a type (matched with ``isinstance`` on the node's value) or a callable taking
    a `Node` (``.value``, ``.key``, ``.name``, ``.path``, ``.spec``, ``.parent``, ``.media``).
    The factory takes the same node and returns an HTML fragment, a widget, a `Block` or None
    (decline). Use as a decorator (``@register_preview(pred)``), as a context manager
    (``with register_preview(pred, f): ...``), or call ``.remove()``; ``registry.restoring()``
    undoes everything registered inside it.
    """
    return registry.register(predicate, factory)
