"""Copyable Python that submits a form's current value; the key always comes from FAL_KEY."""

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
_MAX_INLINE = 2000  # data URIs from uploads would make an unreadable snippet


def _shorten(value: Any) -> Any:
    if isinstance(value, str) and value.startswith("data:") and len(value) > _MAX_INLINE:
        return value[:60] + "...<data URI truncated: upload the file and use its URL>"
    if isinstance(value, dict):
        return {k: _shorten(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_shorten(v) for v in value]
    return value


def snippets(endpoint: str, value: dict[str, Any], kind: str | None = None) -> str:
    """One snippet (`kind` = "falwidgets" or "fal_client") or both, separated by a comment."""
    if kind is not None and kind not in _TEMPLATES:
        raise ValueError(f"kind must be one of {sorted(_TEMPLATES)}, not {kind!r}")
    arguments = pprint.pformat(_shorten(value), indent=1, width=88, sort_dicts=False)
    kinds = [kind] if kind else list(_TEMPLATES)
    parts = [
        f"# --- {k} ---\n" * (kind is None)
        + _TEMPLATES[k].format(arguments=arguments, endpoint=endpoint)
        for k in kinds
    ]
    return "\n".join(parts)
