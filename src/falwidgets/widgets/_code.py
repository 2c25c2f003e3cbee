"""Copyable Python that submits a form's current value; the key is never embedded.

Against fal, both snippets read FAL_KEY from the environment. With `base_url` (a falwidgets
server, e.g. the local demo server the app runs) they point there instead and need no key, so a
snippet copied in a no-key session runs as it is.
"""

from __future__ import annotations

import pprint
from typing import Any

_TEMPLATES: dict[str, str] = {
    "falwidgets": (
        "import falwidgets\n\n"
        "client = falwidgets.Client()  # reads FAL_KEY from the environment\n"
        "arguments = {arguments}\n"
        "result = client.subscribe({endpoint!r}, arguments)\n"
        "print(result)\n"
    ),
    "fal_client": (
        "import fal_client  # reads FAL_KEY from the environment\n\n"
        "arguments = {arguments}\n"
        "result = fal_client.subscribe({endpoint!r}, arguments=arguments, with_logs=True)\n"
        "print(result)\n"
    ),
}
_LOCAL_TEMPLATES: dict[str, str] = {
    "falwidgets": (
        "import falwidgets\n\n"
        "# a falwidgets server: no FAL_KEY needed\n"
        "client = falwidgets.Client(base_url={base_url!r})\n"
        "arguments = {arguments}\n"
        "result = client.subscribe({endpoint!r}, arguments)\n"
        "print(result)\n"
    ),
    "fal_client": (
        "import fal_client\n"
        "from falwidgets.server import point_fal_client\n\n"
        "point_fal_client({base_url!r})  # a falwidgets server: no FAL_KEY needed\n"
        "arguments = {arguments}\n"
        "result = fal_client.subscribe({endpoint!r}, arguments=arguments, with_logs=True)\n"
        "print(result)\n"
    ),
}
_MAX_INLINE = 2000  # data URIs from uploads would make an unreadable snippet


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("data:") and len(value) > _MAX_INLINE:
        return value[:60] + "...<data URI truncated: upload the file and use its URL>"
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    return value


def snippets(
    endpoint: str, value: dict[str, Any], kind: str | None = None, base_url: str | None = None
) -> str:
    """One snippet (`kind` = "falwidgets" or "fal_client") or both, separated by a comment.

    `base_url` aims both at a falwidgets server instead of fal (no key needed there).
    """
    if kind is not None and kind not in _TEMPLATES:
        raise ValueError(f"kind must be one of {sorted(_TEMPLATES)}, not {kind!r}")
    if base_url is not None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        base_url = base_url.rstrip("/")
    templates = _TEMPLATES if base_url is None else _LOCAL_TEMPLATES
    arguments = pprint.pformat(_shorten(value), indent=1, width=88, sort_dicts=False)
    kinds = [kind] if kind else list(templates)
    parts = [
        f"# --- {k} ---\n" * (kind is None)
        + templates[k].format(arguments=arguments, endpoint=endpoint, base_url=base_url)
        for k in kinds
    ]
    return "\n".join(parts)
