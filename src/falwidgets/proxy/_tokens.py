"""Student tokens: read from a file, minted fresh, and shown in logs only as a fingerprint.

A token is a shared secret between the workshop host and one student. It is never forwarded
upstream and never logged; logs and usage reports name a token by its label (the ``# comment``
after it in the tokens file) or by a short hash, so a log file can be shared without the tokens.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from pathlib import Path

TOKEN_PREFIX = "fwt_"
_TOKEN_RE = re.compile(r"^[A-Za-z0-9_\-.~+/=]{8,256}$")


class TokenFileError(ValueError):
    """The tokens file is missing, empty, or has a line that is not a usable token."""


def new_tokens(count: int) -> list[str]:
    """``count`` fresh random tokens (128 bits each), for ``falwidgets proxy --tokens-new``."""
    if count < 1:
        raise ValueError(f"token count must be at least 1, got {count}")
    return [TOKEN_PREFIX + secrets.token_urlsafe(16) for _ in range(count)]


def fingerprint(token: str) -> str:
    """A short, stable, non-reversible name for a token, safe to print in logs."""
    return "tok-" + hashlib.sha256(token.encode()).hexdigest()[:8]


def parse_tokens(text: str, *, source: str = "<tokens>") -> dict[str, str]:
    """Token -> label from ``text``: one token a line; ``#`` starts a comment, used as the label.

    Blank lines and comment-only lines are skipped; a duplicate or malformed token is an error that
    names its line, because a silent typo would lock a student out in the middle of a workshop.
    """
    tokens: dict[str, str] = {}
    for number, raw in enumerate(text.splitlines(), start=1):
        token, _, comment = raw.partition("#")
        token = token.strip()
        if not token:
            continue
        if not _TOKEN_RE.match(token):
            raise TokenFileError(
                f"{source}:{number}: not a valid token "
                "(8-256 characters of letters, digits, -_.~+/=)"
            )
        if token in tokens:
            raise TokenFileError(f"{source}:{number}: duplicate token")
        label = comment.strip()
        tokens[token] = label[:64] if label else fingerprint(token)
    if not tokens:
        raise TokenFileError(f"{source}: no tokens (one per line; make some with --tokens-new 30)")
    return tokens


def load_tokens(path: str | Path) -> dict[str, str]:
    """Read a tokens file (see :func:`parse_tokens`)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise TokenFileError(f"cannot read tokens file {path}: {exc.strerror or exc}") from None
    return parse_tokens(text, source=str(path))
