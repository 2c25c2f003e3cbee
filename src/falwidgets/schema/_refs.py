"""`$ref` resolution that honours sibling keys and never raises on a dangling reference.

fal documents put `$ref`s next to `description`, `default` or `examples`; those siblings describe
*this use* of the referenced schema, so they win over the target's own keys. A reference that cannot
be followed yields the siblings alone plus a warning, so one broken field never sinks a whole form.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

Node = Mapping[str, Any]

_MAX_HOPS = 32  # a chain of $ref -> $ref longer than this is a cycle


class Resolver:
    """Follows local JSON pointers (`#/components/schemas/X`, `#/$defs/X`, ...) in one document.

    `components` is a fallback name -> schema table, for schemas that arrive without their document
    (e.g. `spec_from_json_schema(node, components=doc["components"]["schemas"])`).
    """

    def __init__(self, root: Node, components: Mapping[str, Node] | None = None) -> None:
        self.root = root
        self.components = components or {}

    def lookup(self, ref: str) -> Node | None:
        """The node a `$ref` string points at, or None when it cannot be followed."""
        if not isinstance(ref, str) or not ref.startswith("#"):
            return None
        target: Any = self.root
        for raw in ref[1:].split("/")[1:] if ref != "#" else []:
            part = raw.replace("~1", "/").replace("~0", "~")
            if isinstance(target, Mapping) and part in target:
                target = target[part]
            else:
                target = None
                break
        if target is None:
            target = self.components.get(ref.rsplit("/", 1)[-1])
        return target if isinstance(target, Mapping) else None

    def resolve(self, node: Node) -> tuple[Node, str | None, str | None]:
        """`(merged node, name of the last ref followed, warning)` for one schema node.

        Single-`$ref` `allOf` wrappers (`{"allOf": [{"$ref": X}], "description": ...}`) are
        unwrapped the same way: they are a pre-3.1 way of writing `$ref` with siblings.
        """
        ref_name: str | None = None
        for _ in range(_MAX_HOPS):
            ref = node.get("$ref")
            if ref is None:
                all_of = node.get("allOf")
                if (
                    isinstance(all_of, list)
                    and len(all_of) == 1
                    and isinstance(all_of[0], Mapping)
                    and "$ref" in all_of[0]
                ):
                    siblings = {k: v for k, v in node.items() if k != "allOf"}
                    node = {**all_of[0], **siblings}
                    continue
                return node, ref_name, None
            siblings = {k: v for k, v in node.items() if k != "$ref"}
            target = self.lookup(ref)
            name = ref.rsplit("/", 1)[-1] if isinstance(ref, str) else repr(ref)
            if target is None:
                return siblings, name, f"unresolved $ref {ref!r}"
            ref_name = name
            node = {**target, **siblings}
        return {k: v for k, v in node.items() if k != "$ref"}, ref_name, "cyclic $ref chain"
