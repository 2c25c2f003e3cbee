"""fal_client's keyword names, accepted next to ours so its code ports by changing the import.

The one table of aliases (ours <- fal_client's). Both spellings at once is a ``TypeError``, as
Python says for any argument given twice.
"""

from __future__ import annotations

from typing import TypeVar, overload

__all__ = ["FAL_CLIENT_ALIASES", "pick"]

T = TypeVar("T")

# our keyword -> fal_client's name for it
FAL_CLIENT_ALIASES = {
    "logs": "with_logs",
    "on_update": "on_queue_update",
    "timeout": "client_timeout",
}


@overload
def pick(name: str, ours: T | None, theirs: T | None, default: T) -> T: ...
@overload
def pick(name: str, ours: T | None, theirs: T | None) -> T | None: ...


def pick(name: str, ours: T | None, theirs: T | None, default: T | None = None) -> T | None:
    """``ours`` or fal_client's alias of it (``None`` means not given); ``default`` when neither."""
    if ours is not None and theirs is not None:
        raise TypeError(
            f"got both {name}= and its fal_client alias {FAL_CLIENT_ALIASES[name]}=; pass one"
        )
    if ours is not None:
        return ours
    if theirs is not None:
        return theirs
    return default
