"""What may reach HTML: escaped text, and only http(s) or media ``data:`` URLs in src/href.

Outputs come from servers we do not control (file names, labels, URLs). ipywidgets' HTML widget
sets ``innerHTML`` unsanitised, so an ``onerror=`` attribute or a ``javascript:`` link would run
in the user's notebook. Everything a renderer writes passes through `esc` or `safe_url`.
"""

from __future__ import annotations

import html
import re

from falwidgets._media import data_mime

__all__ = ["MEDIA_DATA_TYPES", "data_mime", "esc", "safe_url"]

# data: URIs allowed in src/href, by MIME type prefix (exact match for non-wildcards).
MEDIA_DATA_TYPES: tuple[str, ...] = (
    "image/",
    "video/",
    "audio/",
    "model/",
    "application/octet-stream",
)

_HTTP = re.compile(r"https?://[^\s/?#]+", re.IGNORECASE)
# control characters (incl. tab/CR/LF, which browsers silently drop from URLs: "java\tscript:")
_CONTROL = re.compile(r"[\x00-\x20\x7f]")


def esc(text: object) -> str:
    """HTML-escape any value (quotes too, so the result is safe inside attributes)."""
    return html.escape(str(text), quote=True)


def safe_url(url: object, *, href: bool = False) -> str | None:
    """``url`` if it may be rendered into ``src`` (or ``href`` when ``href=True``), else None.

    Allowed: ``http://`` / ``https://`` URLs with a host, and ``data:`` URLs whose type is a media
    type in `MEDIA_DATA_TYPES`. SVG data URIs are allowed in ``src`` only (an ``<img>`` does not
    run their scripts, a navigation might). Anything with whitespace or control characters is
    refused outright rather than "cleaned", because browsers and we would clean differently.
    The result is not escaped: callers still pass it through `esc`.
    """
    if not isinstance(url, str) or not url or _CONTROL.search(url):
        return None
    if _HTTP.match(url):
        return url
    mime = data_mime(url)
    if mime is None:
        return None
    if href and mime == "image/svg+xml":
        return None
    if any(mime.startswith(p) if p.endswith("/") else mime == p for p in MEDIA_DATA_TYPES):
        return url
    return None
