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
_JSON_TEMPLATES: dict[str, str] = {
    "javascript": (
        'import {{ fal }} from "@fal-ai/client";  // reads FAL_KEY on the server side\n\n'
        "const result = await fal.subscribe({endpoint_js}, {{\n"
        "  input: {json_indented},\n"
        "  logs: true,\n"
        "}});\n"
        "console.log(result.data);\n"
    ),
    "curl": (
        "# FAL_KEY from the environment; fal.run waits for the result\n"
        "curl -X POST https://fal.run/{endpoint} \\\n"
        '  -H "Authorization: Key $FAL_KEY" \\\n'
        '  -H "Content-Type: application/json" \\\n'
        "  -d {json_shell}\n"
    ),
}
_LOCAL_JSON_TEMPLATES: dict[str, str] = {
    "javascript": (
        "// a falwidgets server: no FAL_KEY needed; /run/ waits for the result\n"
        "const response = await fetch({run_url_js}, {{\n"
        '  method: "POST",\n'
        '  headers: {{ "Content-Type": "application/json" }},\n'
        "  body: JSON.stringify({json_indented}),\n"
        "}});\n"
        "console.log(await response.json());\n"
    ),
    "curl": (
        "# a falwidgets server: no FAL_KEY needed; /run/ waits for the result\n"
        "curl -X POST {run_url} \\\n"
        '  -H "Content-Type: application/json" \\\n'
        "  -d {json_shell}\n"
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
    if kind in _JSON_TEMPLATES:
        return _json_snippet(endpoint, value, kind, base_url)
    if kind is not None and kind not in _TEMPLATES:
        raise ValueError(
            f"kind must be one of {sorted({*_TEMPLATES, *_JSON_TEMPLATES})}, not {kind!r}"
        )
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


def _json_snippet(endpoint: str, value: dict[str, Any], kind: str, base_url: str | None) -> str:
    """JavaScript (fal's JS client, or fetch against a local server) and curl: JSON arguments."""
    import json
    import shlex

    if base_url is not None:
        if not isinstance(base_url, str) or not base_url.startswith(("http://", "https://")):
            raise ValueError(f"base_url must be an http(s) URL, not {base_url!r}")
        base_url = base_url.rstrip("/")
    text = json.dumps(_shorten(value), indent=2, ensure_ascii=False)
    run_url = f"{base_url}/run/{endpoint}" if base_url else ""
    fields = {
        "endpoint": endpoint,
        "endpoint_js": json.dumps(endpoint),
        "json_indented": text.replace("\n", "\n  "),
        "json_shell": shlex.quote(json.dumps(_shorten(value), ensure_ascii=False)),
        "run_url": shlex.quote(run_url),
        "run_url_js": json.dumps(run_url),
    }
    templates = _JSON_TEMPLATES if base_url is None else _LOCAL_JSON_TEMPLATES
    return templates[kind].format(**fields)
