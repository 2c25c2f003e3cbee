"""The user half of an ordered registry, shared by the widget and the preview registries.

Both registries are ordered tables where user entries (newest first) win over built-in ones, so
they share one way to add an entry and take it back: :class:`Registration`, returned by
``register_widget`` and ``register_preview`` alike. It is a handle (``.remove()``), a context
manager (``with register_widget(...):`` removes the entry on exit) and, when no factory was
given, a decorator that registers the function it decorates. ``restoring()`` undoes every
registration made inside a block. Stdlib only: any layer may import it.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator
from typing import Any, Generic, TypeVar

__all__ = ["Registration", "UserEntries"]

E = TypeVar("E")
F = TypeVar("F", bound=Callable[..., Any])


class Registration(Generic[E]):
    """One user entry of a registry: ``.remove()`` it, or use the handle as a context manager.

    Made without a factory (``@register_widget(int)``), it registers nothing until it decorates
    one: nothing half-made sits in the table meanwhile.
    """

    def __init__(
        self,
        entries: list[E],
        entry: E | None = None,
        bind: Callable[[Callable[..., Any]], E] | None = None,
    ) -> None:
        self._entries = entries
        self._bind = bind
        self.entry = entry
        if entry is not None:
            entries.insert(0, entry)

    def remove(self) -> None:
        """Take the entry out of its registry (again is a no-op)."""
        if self.entry is not None:
            with contextlib.suppress(ValueError):
                self._entries.remove(self.entry)

    def __enter__(self) -> Registration[E]:
        return self

    def __exit__(self, *exc: object) -> None:
        self.remove()

    def __call__(self, factory: F) -> F:
        """Decorator form: register ``factory`` and return it unchanged."""
        if self._bind is None or self.entry is not None:
            raise TypeError("this registration already has its factory; it is not a decorator")
        self.entry = self._bind(factory)
        self._entries.insert(0, self.entry)
        return factory

    def __repr__(self) -> str:
        state = "pending" if self.entry is None else repr(self.entry)
        return f"<Registration {state}>"


class UserEntries(Generic[E]):
    """A registry's user entries, newest first, with :meth:`restoring`."""

    def __init__(self) -> None:
        self._user: list[E] = []

    def _add(self, entry: E) -> Registration[E]:
        return Registration(self._user, entry)

    def _pending(self, bind: Callable[[Callable[..., Any]], E]) -> Registration[E]:
        return Registration(self._user, None, bind)

    @contextlib.contextmanager
    def restoring(self) -> Iterator[Any]:
        """Undo every registration made inside the block (tests, notebooks trying things)."""
        saved = list(self._user)
        try:
            yield self
        finally:
            self._user[:] = saved
