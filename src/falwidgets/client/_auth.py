"""Credentials: explicit key, else ``FAL_KEY``, else ``FAL_KEY_ID`` + ``FAL_KEY_SECRET``.

:func:`resolve_credentials` is the one home of "which key does the environment hold" (a
whitespace-only value is no key); the runner, ``falwidgets run`` and the proxy ask
:func:`has_credentials` rather than reading the environment themselves.

The key lives in a :class:`Credentials` object whose repr never shows it. A key from the
environment is only sent to real fal hosts (``falwidgets._hosts.is_fal_host``), so pointing
``base_url`` at a local or third-party server never leaks a personal key; a key passed
explicitly is sent wherever the client is pointed.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from falwidgets._hosts import is_fal_host
from falwidgets.client._errors import AuthError, MissingCredentials

__all__ = ["Credentials", "has_credentials", "is_fal_host", "resolve_credentials"]


@dataclass(frozen=True)
class Credentials:
    """A resolved key and where it came from; ``repr`` hides the secret."""

    key: str | None = field(repr=False)
    source: str  # "argument", "FAL_KEY", "FAL_KEY_ID/FAL_KEY_SECRET" or "none"

    @property
    def explicit(self) -> bool:
        return self.source == "argument"

    def header_for(self, host: str) -> str | None:
        """The ``Authorization`` value to send to ``host``, or ``None``."""
        if self.key is None:
            return None
        if self.explicit or is_fal_host(host):
            return f"Key {self.key}"
        return None

    def require(self, host: str) -> None:
        """Raise :class:`MissingCredentials` when ``host`` is fal's and there is no key."""
        if self.key is None and is_fal_host(host):
            raise MissingCredentials(
                f"no fal API key found for {host}: pass Client(key=...) or set FAL_KEY "
                "(or FAL_KEY_ID and FAL_KEY_SECRET); to work offline point the client at a local "
                "server with base_url (see `falwidgets serve`)"
            )


def _check(key: str, source: str) -> str:
    key = key.strip()
    if any(ord(c) < 32 or ord(c) == 127 for c in key):
        # fal answers such keys with an empty 401; say what is wrong without showing the key
        raise AuthError(f"the key from {source} contains control characters (a pasted newline?)")
    return key


def resolve_credentials(key: str | None = None) -> Credentials:
    """Find the key the way fal's clients do (minus the interactive login flows)."""
    if key:
        return Credentials(_check(key, "the key argument"), "argument")
    env = os.environ.get("FAL_KEY")
    if env and env.strip():
        return Credentials(_check(env, "FAL_KEY"), "FAL_KEY")
    key_id, secret = os.environ.get("FAL_KEY_ID"), os.environ.get("FAL_KEY_SECRET")
    if key_id and key_id.strip() and secret and secret.strip():
        combined = f"{key_id.strip()}:{secret.strip()}"
        return Credentials(
            _check(combined, "FAL_KEY_ID/FAL_KEY_SECRET"), "FAL_KEY_ID/FAL_KEY_SECRET"
        )
    return Credentials(None, "none")


def has_credentials() -> bool:
    """Whether the environment holds a fal key (what decides between real fal and the local
    server); never raises, even for a key :func:`resolve_credentials` would reject."""
    try:
        return resolve_credentials().key is not None
    except AuthError:  # a key with control characters is still a key the user meant to use
        return True
