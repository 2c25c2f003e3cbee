"""Where the Input and Output schemas live in a fal endpoint document (both corpus kinds).

Verbatim queue documents name them through the queue paths; documents rebuilt from fal-js name them
in `x-falschemas-derived`. A bare JSON Schema (an object with `properties`) is taken as the Input.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

_OPS = ("post", "put")


def _json_schema(response_or_body: Any) -> Any:
    if not isinstance(response_or_body, Mapping):
        return None
    content = response_or_body.get("content")
    if not isinstance(content, Mapping):
        return None
    media = content.get("application/json")
    if not isinstance(media, Mapping):
        media = next((m for m in content.values() if isinstance(m, Mapping)), None)
    return media.get("schema") if isinstance(media, Mapping) else None


def locate(doc: Mapping[str, Any]) -> tuple[Any, Any, list[str]]:
    """`(input node, output node, warnings)`; nodes are usually `{"$ref": ...}`, None if absent."""
    warnings: list[str] = []
    derived = doc.get("x-falschemas-derived")
    schemas = (doc.get("components") or {}).get("schemas") or {}
    if isinstance(derived, Mapping):
        nodes = []
        for key in ("input_schema", "output_schema"):
            name = derived.get(key)
            nodes.append(
                {"$ref": f"#/components/schemas/{name}"} if isinstance(name, str) else None
            )
        return nodes[0], nodes[1], warnings
    paths = doc.get("paths")
    if not isinstance(paths, Mapping) or not paths:
        if "properties" in doc or doc.get("type") == "object":
            return doc, None, warnings  # a bare JSON Schema
        guess = [n for n in schemas if isinstance(n, str) and n.endswith("Input")]
        if len(guess) == 1:
            out = guess[0][: -len("Input")] + "Output"
            output = {"$ref": f"#/components/schemas/{out}"} if out in schemas else None
            return {"$ref": f"#/components/schemas/{guess[0]}"}, output, warnings
        warnings.append("document has no paths and no x-falschemas-derived names")
        return None, None, warnings
    input_node = output_node = None
    for path, item in paths.items():
        if not isinstance(item, Mapping) or not isinstance(path, str):
            continue
        if "/requests/" not in path and input_node is None:
            for op in _OPS:
                operation = item.get(op)
                if isinstance(operation, Mapping):
                    input_node = _json_schema(operation.get("requestBody"))
                    if input_node is not None:
                        break
        elif path.endswith("/requests/{request_id}") and output_node is None:
            operation = item.get("get")
            if isinstance(operation, Mapping):
                responses = operation.get("responses") or {}
                output_node = _json_schema(responses.get("200") or responses.get(200))
    if input_node is None:
        warnings.append("no POST request body schema in paths")
    return input_node, output_node, warnings


def endpoint_id_of(doc: Mapping[str, Any]) -> str:
    """The endpoint id from `info.x-fal-metadata`, the title, or the first queue path."""
    info = doc.get("info") if isinstance(doc.get("info"), Mapping) else {}
    meta = info.get("x-fal-metadata") if isinstance(info.get("x-fal-metadata"), Mapping) else {}
    if isinstance(meta.get("endpointId"), str):
        return meta["endpointId"]
    title = info.get("title")
    if isinstance(title, str) and " for " in title:
        return title.rsplit(" for ", 1)[1].strip()
    for path in doc.get("paths") or ():
        if isinstance(path, str) and "/requests/" not in path:
            return path.strip("/")
    title = doc.get("title")
    return title if isinstance(title, str) else ""
