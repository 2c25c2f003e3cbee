"""Walk an output through the registry and lay the blocks out as a few HTML segments.

Order of the result: media blocks in output order (adjacent images merge into one gallery,
adjacent files into one list of links), then one row of chips, then whatever no entry claimed as
a collapsible JSON view. HTML is kept in as few segments as possible (split only around widgets
such as the GLB viewer) so a preview costs one HTML widget, not one per image.
"""

from __future__ import annotations

import html
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from falwidgets.previews import _builtins  # noqa: F401  (registers the built-in entries)
from falwidgets.previews._css import CSS
from falwidgets.previews._registry import Block, Node, Path, PreviewRegistry, registry
from falwidgets.previews._safety import esc

if TYPE_CHECKING:
    from ipywidgets import Widget

__all__ = ["Rendered", "normalise", "render"]

_DROP = object()
_MERGEABLE = ("gallery", "downloads")
_LONG_STRING = 4000
_JSON_LIMIT = 40_000


@dataclass
class Rendered:
    """A laid-out preview: HTML strings and widgets in display order."""

    segments: list[str | Widget] = field(default_factory=list)
    has_media: bool = False

    @property
    def html(self) -> str:
        """All HTML segments joined (widgets left out): handy for tests and text export."""
        return "".join(s for s in self.segments if isinstance(s, str))

    @property
    def widgets(self) -> list[Widget]:
        return [s for s in self.segments if not isinstance(s, str)]


class _Walk:
    """State shared by one walk: blocks found, nodes consumed by other nodes, URLs seen."""

    def __init__(self, reg: PreviewRegistry, allow_widgets: bool) -> None:
        self.entries = reg.entries()
        self.allow_widgets = allow_widgets
        self.blocks: list[tuple[Path, Block]] = []
        self.consumed: set[Path] = set()
        self.seen_urls: set[str] = set()

    def consume(self, path: Path) -> None:
        self.consumed.add(path)

    def is_consumed(self, path: Path) -> bool:
        return any(path[:n] in self.consumed for n in range(len(path) + 1))

    def first_time(self, url: str) -> bool:
        """True the first time a URL is shown (a second GLB viewer of the same file is waste)."""
        if url in self.seen_urls:
            return False
        self.seen_urls.add(url)
        return True

    def visit(self, node: Node) -> Any:
        """Render ``node`` through the first entry that accepts it; return what is left as JSON."""
        if self.is_consumed(node.path):
            return _DROP
        for entry in self.entries:
            try:
                if not entry.predicate(node):
                    continue
                result = entry.factory(node)
            except Exception as exc:  # a broken user entry must not cost the user the result
                where = "/".join(map(str, node.path)) or "output"
                msg = f"preview {entry.name or 'entry'} failed at {where}: {type(exc).__name__}"
                error = f'<div class="fw-error">{esc(msg)}: {esc(exc)}</div>'
                self.blocks.append((node.path, Block("html", [error])))
                continue
            if result is None:
                continue
            self.blocks.append((node.path, _as_block(result)))
            return _DROP
        value = node.value
        if isinstance(value, Mapping):
            kept: dict[Any, Any] = {}
            for child in node.children():
                rest = self.visit(child)
                if rest is not _DROP:
                    kept[child.key] = rest
            return kept if kept or not value else _DROP
        if isinstance(value, (list, tuple)):
            kept_list = [r for c in node.children() if (r := self.visit(c)) is not _DROP]
            return kept_list if kept_list or not value else _DROP
        return value


def _as_block(result: Any) -> Block:
    if isinstance(result, Block):
        return result
    if isinstance(result, str):
        return Block("html", [result])
    return Block("widget", widget=result)


def normalise(output: Any) -> Any:
    """Plain JSON-like data from what a client or a user hands us (Pydantic models included)."""
    dump = getattr(output, "model_dump", None)
    if callable(dump) and not isinstance(output, type):
        return dump(mode="json")
    return output


def _trim(value: Any) -> Any:
    """Shorten data: URIs and huge strings so the JSON view stays small."""
    if isinstance(value, str):
        if value[:5].lower() == "data:" and len(value) > 120:
            return f"{value[:60]}… ({len(value):,} chars)"
        if len(value) > _LONG_STRING:
            return f"{value[:_LONG_STRING]}… ({len(value):,} chars)"
        return value
    if isinstance(value, Mapping):
        return {str(k): _trim(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [_trim(v) for v in value]
    return value


SUMMARY_CHARS = 60  # field names listed in a JSON summary before "+ N more"


def field_names(residue: Mapping[Any, Any]) -> str:
    """``has_nsfw_concepts, prompt`` (truncated, "+ N more"): which fields the JSON holds, so a
    collapsed summary says what is inside rather than only how many."""
    names = [str(k) for k in residue]
    shown: list[str] = []
    for name in names:
        if shown and len(", ".join([*shown, name])) > SUMMARY_CHARS:
            break
        shown.append(name if len(name) <= SUMMARY_CHARS else name[: SUMMARY_CHARS - 1] + "…")
    rest = len(names) - len(shown)
    return ", ".join(shown) + (f" + {rest} more" if rest else "") if names else "empty"


def _json_html(residue: Any, *, open_: bool) -> str:
    text = json.dumps(_trim(residue), indent=1, ensure_ascii=False, default=repr)
    if len(text) > _JSON_LIMIT:
        text = text[:_JSON_LIMIT] + f"\n… ({len(text):,} chars in all)"
    if isinstance(residue, Mapping):
        summary = f"JSON · {html.escape(field_names(residue))}"
    elif isinstance(residue, list):
        summary = f"JSON · {len(residue)} item{'s' if len(residue) != 1 else ''}"
    else:
        summary = "JSON"
    return (
        f'<details class="fw-json"{" open" if open_ else ""}><summary>{summary}</summary>'
        f"<pre>{html.escape(text, quote=False)}</pre></details>"
    )


def _merge(blocks: list[Block]) -> list[Block]:
    merged: list[Block] = []
    for block in blocks:
        last = merged[-1] if merged else None
        if (
            last is not None
            and block.kind in _MERGEABLE
            and last.kind == block.kind
            and last.label == block.label
        ):
            last.parts.extend(block.parts)
        else:
            merged.append(Block(block.kind, list(block.parts), block.label, block.widget))
    return merged


_WRAP = {"gallery": "fw-gallery", "downloads": "fw-files", "html": "fw-block"}


def _block_html(block: Block) -> str:
    label = f'<div class="fw-label">{esc(block.label)}</div>' if block.label else ""
    cls = _WRAP.get(block.kind, "fw-block")
    return f'{label}<div class="{cls}">{"".join(block.parts)}</div>'


def render(
    output: Any,
    *,
    spec: Any = None,
    registry_: PreviewRegistry | None = None,
    allow_widgets: bool = True,
    extra_chips: str = "",
) -> Rendered:
    """Walk ``output`` and lay it out; see the module docstring for the order."""
    spec = getattr(spec, "output", spec)  # an EndpointSchema works too
    walk = _Walk(registry_ or registry, allow_widgets)
    root = Node(normalise(output), spec=spec, walk=walk)
    residue = walk.visit(root)
    blocks = [b for path, b in walk.blocks if not walk.is_consumed(path)]
    media = _merge([b for b in blocks if b.kind != "chips"])
    chips = [p for b in blocks if b.kind == "chips" for p in b.parts]

    rendered = Rendered(has_media=bool(media))
    out: list[str] = [f"<style>{CSS}</style>"]
    for block in media:
        if block.kind == "widget" and block.widget is not None:
            rendered.segments.append("".join(out))
            rendered.segments.append(block.widget)
            out = [_block_html(Block("html", block.parts))] if block.parts else []
            if block.label:  # the label goes above the widget, in the previous segment
                rendered.segments[-2] += f'<div class="fw-label">{esc(block.label)}</div>'
        else:
            out.append(_block_html(block))
    if chips or extra_chips:
        out.append(f'<div class="fw-chips">{extra_chips}{"".join(chips)}</div>')
    if residue is not _DROP and residue is not None:
        out.append(_json_html(residue, open_=not media))
    elif output is None and not media:
        out.append('<div class="fw-note">no output</div>')
    rendered.segments.append("".join(out))
    rendered.segments = [s for s in rendered.segments if not isinstance(s, str) or s]
    return rendered
