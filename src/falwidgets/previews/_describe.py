"""`describe(output)`: a result as JSON-safe blocks that the browser renders (``render.js``).

The anywidget front ends (app, preview, history, sweep) do not receive HTML from Python: they get
a list of blocks ``{"kind": ..., ...}`` and draw them with ``js/src/results/render.js``. Blocks come
from the same preview registry as before: user entries first (`register_preview`), then the
built-in *block* entries defined here. A user factory may return

- a block dict (``{"kind": "mykind", ...}``; a kind of their own is drawn by an ES module given
  to `register_block_kind`),
- an HTML string (a ``html`` block, set as ``innerHTML``: the factory escapes, as before),
- a `Block` from the old HTML renderer (its parts become one ``html`` block),
- an ipywidget: a ``widget`` block holding ``"anywidget:<model_id>"``; the front end draws it by
  composition (``host.getWidget``). That works for anywidgets in JupyterLab and marimo; a stock
  ipywidget renders only in JupyterLab / Notebook 7 (marimo cannot draw stock widgets at all and
  shows its name and a note instead).

Every URL in a block passed `safe_url` (http(s) or a media ``data:`` URI); a refused one is
shown as blocked text, never linked. Text is sent as text: the browser sets it with
``textContent``, so nothing here needs escaping except user HTML.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

from falwidgets.previews._builtins import CHIP_GROUPS, CHIP_KEYS, boxes_of, human_size
from falwidgets.previews._builtins import _find_image as find_image
from falwidgets.previews._builtins import _label as item_label
from falwidgets.previews._media import MediaRef
from falwidgets.previews._registry import Block, Entry, Node, PreviewRegistry, registry
from falwidgets.previews._safety import safe_url
from falwidgets.previews._walk import _JSON_LIMIT, field_names, normalise
from falwidgets.previews._walk import _trim as trim

if TYPE_CHECKING:
    from ipywidgets import Widget

__all__ = [
    "BLOCK_KINDS",
    "CHIP_UNITS",
    "TEXT_KEYS",
    "block_entry",
    "block_kinds",
    "describe",
    "describe_error",
    "describe_stream",
    "register_block_kind",
]

# what render.js draws by itself; a user kind needs `register_block_kind`
BLOCK_KINDS = frozenset(
    {
        "images",
        "video",
        "audio",
        "glb",
        "boxes",
        "stream",
        "chips",
        "json",
        "files",
        "text",
        "error",
        "html",
        "widget",
    }
)
# chip name -> unit shown after its value
CHIP_UNITS: dict[str, str] = {
    "inference_time": "s",
    "elapsed": "s",
    "duration": "s",
    "queue_time": "s",
    "total_time": "s",
    "fps": "fps",
}
# string fields shown as a text block (transcripts, captions, LLM answers) rather than JSON
TEXT_KEYS = frozenset(
    {
        "text",
        "output",
        "transcript",
        "transcription",
        "caption",
        "description",
        "response",
        "answer",
        "content",
        "markdown",
    }
)
TEXT_MIN = 200  # a string this long under any key reads better as text than as a JSON line
MAX_OVERLAYS = 500
DATA_LINK_LIMIT = 64 * 1024  # a data: URI longer than this is shown, not offered as a download

_user_kinds: dict[str, str] = {}
_DROP = object()


# -- user kinds ----------------------------------------------------------------------------------


def register_block_kind(kind: str, esm: str) -> Callable[[], None]:
    """Draw blocks of ``kind`` with an ES module whose default export is
    ``render(el, block, ctx)`` (it may return a cleanup function). Returns a remover.

    The module source travels with the widgets that show such a block (once per widget, not per
    block), so it works offline and in every host.
    """
    if not isinstance(kind, str) or not kind or kind in BLOCK_KINDS:
        raise ValueError(f"block kind must be a new non-empty name, got {kind!r}")
    if not isinstance(esm, str) or "export" not in esm:
        raise TypeError("register_block_kind: esm must be ES module source with a default export")
    _user_kinds[kind] = esm

    def remove() -> None:
        if _user_kinds.get(kind) == esm:
            del _user_kinds[kind]

    return remove


def block_kinds(blocks: list[dict[str, Any]]) -> dict[str, str]:
    """The ES modules of the user kinds used in ``blocks`` (nested stream blocks included)."""
    used: dict[str, str] = {}
    for block in blocks:
        kind = block.get("kind")
        if kind in _user_kinds:
            used[kind] = _user_kinds[kind]
        if kind == "stream":
            used.update(block_kinds(block.get("blocks", [])))
    return used


# -- small helpers -------------------------------------------------------------------------------


def _file(ref: MediaRef) -> dict[str, Any]:
    """What every media block says about its file: name, size, and a link when one is safe."""
    href = safe_url(ref.raw_url, href=True)
    if href is not None and ref.is_data and len(href) > DATA_LINK_LIMIT:
        href = None
    return {
        "url": ref.url,
        "name": ref.display_name,
        "size": human_size(ref.file_size),
        "download": href,
        "width": ref.width,
        "height": ref.height,
        "content_type": ref.content_type,
    }


def _is_media(kind: str) -> Callable[[Node], bool]:
    return lambda node: (m := node.media) is not None and m.url is not None and m.kind == kind


def _repeat(node: Node, ref: MediaRef) -> dict[str, Any] | None:
    """The same data: URI twice is sent once; the second place says so."""
    walk = node.walk
    if ref.is_data and ref.url and walk is not None and not walk.first_time(ref.url):
        return {"kind": "text", "label": node.group_label, "text": f"same {ref.kind} as above"}
    return None


_block_builtins: list[Entry] = []


def block_entry(predicate: Callable[[Node], bool], *, name: str = "") -> Callable[[Any], Any]:
    """Decorator for the built-in block entries (tried after every user entry, in order)."""

    def deco(factory: Any) -> Any:
        _block_builtins.append(Entry(predicate, factory, name or factory.__name__))
        return factory

    return deco


# -- built-in block entries ----------------------------------------------------------------------


@block_entry(lambda node: (m := node.media) is not None and m.url is None, name="blocked")
def _blocked(node: Node) -> dict[str, Any]:
    ref = node.media
    assert ref is not None
    text = ref.raw_url if len(ref.raw_url) <= 200 else ref.raw_url[:200] + "…"
    item = {"name": text, "url": None, "size": "", "blocked": True}
    return {"kind": "files", "label": node.group_label, "items": [item]}


@block_entry(_is_media("image"), name="image")
def _image(node: Node) -> dict[str, Any]:
    ref = node.media
    assert ref is not None
    return _repeat(node, ref) or {
        "kind": "images",
        "label": node.group_label,
        "items": [_file(ref)],
    }


def _player(kind: str) -> Callable[[Node], dict[str, Any]]:
    def factory(node: Node) -> dict[str, Any]:
        ref = node.media
        assert ref is not None
        return _repeat(node, ref) or {"kind": kind, "label": node.label, **_file(ref)}

    factory.__name__ = kind
    return factory


block_entry(_is_media("video"), name="video")(_player("video"))
block_entry(_is_media("audio"), name="audio")(_player("audio"))


@block_entry(_is_media("glb"), name="glb")
def _glb(node: Node) -> dict[str, Any]:
    """A GLB: the three.js viewer as a child widget (when the caller keeps widgets), else a link.
    A second mention of the same file (``model_urls.glb`` repeating ``model_mesh``) is dropped."""
    ref = node.media
    assert ref is not None and ref.url is not None
    walk = node.walk
    if walk is not None and not walk.first_time(ref.url):
        return {"kind": "files", "label": node.group_label, "items": []}
    block: dict[str, Any] = {"kind": "glb", "label": node.label, "ref": None, **_file(ref)}
    keep = getattr(walk, "widgets", None)
    if keep is not None:
        from falwidgets.previews._glb import GLBViewer

        try:
            viewer = GLBViewer(url=ref.url)
        except (TypeError, ValueError):  # a data: type the viewer refuses: the link stays
            return block
        keep.append(viewer)
        block["ref"] = f"anywidget:{viewer.model_id}"
    return block


@block_entry(
    lambda node: (m := node.media) is not None and m.kind in ("model3d", "file"), name="file"
)
def _file_link(node: Node) -> dict[str, Any]:
    ref = node.media
    assert ref is not None
    return {"kind": "files", "label": node.group_label, "items": [_file(ref)]}


def _clamp(v: float) -> float:
    return round(min(max(v, 0.0), 1.0), 5)


@block_entry(lambda node: bool(boxes_of(node.value)), name="boxes")
def _boxes(node: Node) -> dict[str, Any] | None:
    """Detections over their image, in fractions of its size, each labelled with its class."""
    shapes = boxes_of(node.value)
    image = find_image(node)
    if image is None:
        return None
    ref = image.media
    assert ref is not None and ref.url is not None
    coords = [v for _, c, _ in shapes for v in c]
    sx = sy = 1.0
    if max(coords) > 1.0 + 1e-6 or min(coords) < -1e-6:  # pixels: needs the image's size
        if not (ref.width and ref.height):
            return None
        sx, sy = 1.0 / ref.width, 1.0 / ref.height
    boxes, points = [], []
    asked = _asked_class(node)
    for index, (kind, c, item) in enumerate(shapes[:MAX_OVERLAYS]):
        text = item_label(item) or (f"{asked} {index + 1}" if asked else f"#{index + 1}")
        if kind == "box":
            x0, x1 = sorted((c[0] * sx, c[2] * sx))
            y0, y1 = sorted((c[1] * sy, c[3] * sy))
            boxes.append(
                {
                    "x0": _clamp(x0),
                    "y0": _clamp(y0),
                    "x1": _clamp(x1),
                    "y1": _clamp(y1),
                    "label": text,
                }
            )
        else:
            points.append({"x": _clamp(c[0] * sx), "y": _clamp(c[1] * sy), "label": text})
    node.consume(image)
    return {
        "kind": "boxes",
        "label": node.label,
        "image": _file(ref),
        "boxes": boxes,
        "points": points,
        "count": len(shapes),
        "more": max(len(shapes) - MAX_OVERLAYS, 0),
    }


PROMPT_KEYS = ("prompt", "object", "query", "text", "class_name", "label")


def _asked_class(node: Node) -> str:
    """The single class a detection request asked for ("cup"), from the request's inputs: boxes
    without labels are then "cup 1", "cup 2" instead of "#1", "#2"."""
    inputs = getattr(node.walk, "inputs", None) or {}
    for key in PROMPT_KEYS:
        value = inputs.get(key)
        if isinstance(value, str) and 0 < len(value.strip()) <= 40 and "," not in value:
            return value.strip()
    return ""


def _scalar(value: Any) -> bool:
    if isinstance(value, float) and not math.isfinite(value):
        return False
    return isinstance(value, (str, int, float, bool)) and not (
        isinstance(value, str) and len(value) > 80
    )


def chip(name: str, value: Any, unit: str | None = None) -> dict[str, Any]:
    """``{"name", "value", "unit"}``: floats rounded to 3 significant digits, times in s."""
    text = f"{value:.3g}" if isinstance(value, float) else str(value)
    unit = CHIP_UNITS.get(name, "") if unit is None else unit
    return {"name": name.replace("_", " "), "value": text, "unit": unit}


def _is_chip(node: Node) -> bool:
    if not isinstance(node.key, str):
        return False
    if node.key in CHIP_KEYS and _scalar(node.value):
        return True
    return (
        node.key in CHIP_GROUPS
        and isinstance(node.value, Mapping)
        and bool(node.value)
        and all(_scalar(v) for v in node.value.values())
    )


@block_entry(_is_chip, name="chips")
def _chips(node: Node) -> dict[str, Any]:
    if isinstance(node.value, Mapping):
        # fal reports every entry of ``timings`` in seconds
        unit = "s" if node.key == "timings" else None
        items = [
            chip(str(k), v, None if isinstance(v, str) else unit) for k, v in node.value.items()
        ]
    else:
        items = [chip(str(node.key), node.value)]
    return {"kind": "chips", "items": items}


def _is_text(node: Node) -> bool:
    if not isinstance(node.value, str) or not node.value.strip():
        return False
    if isinstance(node.key, str) and node.key in TEXT_KEYS:
        return True
    return len(node.value) >= TEXT_MIN and node.value[:5].lower() != "data:"


@block_entry(_is_text, name="text")
def _text(node: Node) -> dict[str, Any]:
    text = node.value if len(node.value) <= 20_000 else node.value[:20_000] + "…"
    return {"kind": "text", "label": node.label, "text": text}


# -- the walk ------------------------------------------------------------------------------------


class _Walk:
    """State of one describe walk; the same interface the HTML walk gives factories."""

    allow_widgets = True

    def __init__(
        self,
        entries: list[Entry],
        widgets: list[Widget] | None,
        inputs: Mapping[str, Any] | None = None,
    ) -> None:
        self.entries = entries
        self.inputs = inputs
        self.widgets = widgets
        self.allow_widgets = widgets is not None
        self.found: list[tuple[tuple[Any, ...], dict[str, Any]]] = []
        self.consumed: set[tuple[Any, ...]] = set()
        self.seen_urls: set[str] = set()

    def consume(self, path: tuple[Any, ...]) -> None:
        self.consumed.add(path)

    def is_consumed(self, path: tuple[Any, ...]) -> bool:
        return any(path[:n] in self.consumed for n in range(len(path) + 1))

    def first_time(self, url: str) -> bool:
        if url in self.seen_urls:
            return False
        self.seen_urls.add(url)
        return True

    def visit(self, node: Node) -> Any:
        if self.is_consumed(node.path):
            return _DROP
        for entry in self.entries:
            try:
                if not entry.predicate(node):
                    continue
                result = entry.factory(node)
                if result is None:
                    continue
                block = self._as_block(result, node)
            except Exception as exc:  # a broken user entry must not cost the user the result
                where = "/".join(map(str, node.path)) or "output"
                self.found.append(
                    (
                        node.path,
                        describe_error(
                            f"preview {entry.name or 'entry'} failed at {where}",
                            f"{type(exc).__name__}: {exc}",
                        ),
                    )
                )
                continue
            self.found.append((node.path, block))
            return _DROP
        value = node.value
        if isinstance(value, Mapping):
            kept = {}
            for child in node.children():
                rest = self.visit(child)
                if rest is not _DROP:
                    kept[child.key] = rest
            return kept if kept or not value else _DROP
        if isinstance(value, (list, tuple)):
            kept_list = [r for c in node.children() if (r := self.visit(c)) is not _DROP]
            return kept_list if kept_list or not value else _DROP
        return value

    def _as_block(self, result: Any, node: Node) -> dict[str, Any]:
        if isinstance(result, Mapping):
            kind = result.get("kind")
            if not isinstance(kind, str) or not kind:
                raise TypeError("a block dict needs a 'kind' string")
            if kind not in BLOCK_KINDS and kind not in _user_kinds:
                raise ValueError(f"unknown block kind {kind!r}: register it (register_block_kind)")
            block = json.loads(json.dumps(dict(result), default=str))  # JSON-safe, a copy
            return block
        if isinstance(result, str):
            return {"kind": "html", "html": result}
        if isinstance(result, Block):
            from falwidgets.previews._walk import _block_html as block_html

            if result.widget is not None:
                return self._widget(result.widget, node, label=result.label)
            return {"kind": "html", "html": block_html(result)}
        if hasattr(result, "model_id"):
            return self._widget(result, node)
        raise TypeError(f"a preview factory returned {type(result).__name__}")

    def _widget(self, widget: Any, node: Node, label: str = "") -> dict[str, Any]:
        if self.widgets is None:  # a list or a history row keeps no widgets: say what it was
            name = type(widget).__name__
            return {"kind": "text", "label": label or node.label, "text": f"({name} widget)"}
        self.widgets.append(widget)
        stock = not hasattr(widget, "_esm")
        return {
            "kind": "widget",
            "label": label or node.label,
            "ref": f"anywidget:{widget.model_id}",
            "stock": stock,
            "name": type(widget).__name__,
        }


def _merge(blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Adjacent image blocks with one label make one gallery; adjacent files one list; all chips
    one row at the end; empty file lists (a dropped repeat) vanish, so no heading stands empty."""
    merged: list[dict[str, Any]] = []
    chips: list[dict[str, Any]] = []
    for block in blocks:
        kind = block["kind"]
        if kind == "chips":
            chips.extend(block["items"])
            continue
        if kind in ("images", "files"):
            last = merged[-1] if merged else None
            if last and last["kind"] == kind and last.get("label") == block.get("label"):
                last["items"].extend(block["items"])
                continue
            block = {**block, "items": list(block["items"])}
        merged.append(block)
    merged = [b for b in merged if b["kind"] not in ("images", "files") or b["items"]]
    if chips:
        merged.append({"kind": "chips", "items": chips})
    return merged


def _json_block(residue: Any, *, open_: bool) -> dict[str, Any]:
    text = json.dumps(trim(residue), indent=1, ensure_ascii=False, default=repr)
    if len(text) > _JSON_LIMIT:
        text = text[:_JSON_LIMIT] + f"\n… ({len(text):,} chars in all)"
    if isinstance(residue, Mapping):
        summary = f"JSON · {field_names(residue)}"
    elif isinstance(residue, list):
        summary = f"JSON · {len(residue)} item{'s' if len(residue) != 1 else ''}"
    else:
        summary = "JSON"
    return {"kind": "json", "summary": summary, "text": text, "open": open_}


def describe(
    output: Any,
    *,
    spec: Any = None,
    widgets: list[Widget] | None = None,
    inputs: Mapping[str, Any] | None = None,
    registry_: PreviewRegistry | None = None,
) -> list[dict[str, Any]]:
    """``output`` as a list of JSON-safe blocks, in display order.

    Media first in output order (adjacent images of one field form a gallery), then one row of
    chips (seed, timings with units), then whatever no entry claimed as a collapsible JSON view
    (open when there is nothing else). ``spec`` is the output `FieldSpec` (or `EndpointSchema`),
    for labels and media kinds. Pass a ``widgets`` list to allow child widgets (the GLB viewer, a
    user factory's widget): they are appended there and the caller must keep them alive (a widget
    model referencing them by ``"anywidget:<id>"``); without it, GLBs are links. ``inputs``
    (the request's arguments) name unlabelled detections after the class asked for.
    """
    reg = registry_ or registry
    spec = getattr(spec, "output", spec)
    walk = _Walk([*reg._user, *_block_builtins], widgets, inputs)  # user entries, then ours
    root = Node(normalise(output), spec=spec, walk=walk)
    residue = walk.visit(root)
    blocks = _merge([b for path, b in walk.found if not walk.is_consumed(path)])
    media = any(b["kind"] not in ("chips", "json", "error") for b in blocks)
    if residue is not _DROP and residue is not None:
        blocks.append(_json_block(residue, open_=not media))
    elif output is None and not blocks:
        blocks.append({"kind": "text", "label": "", "text": "no output"})
    return blocks


def describe_stream(
    partial: Any, *, step: int, total: int | None = None, spec: Any = None
) -> list[dict[str, Any]]:
    """One streamed partial result as a single ``stream`` block: each new one replaces the last
    (same block position), with "step 3/8" instead of a bare counter. No child widgets."""
    return [
        {
            "kind": "stream",
            "step": int(step),
            "total": int(total) if total else None,
            "blocks": describe(partial, spec=spec),
        }
    ]


def describe_error(title: str, detail: str = "", request_id: str | None = None) -> dict[str, Any]:
    """An ``error`` block: a plain cause, its detail, and the request id only when there is one."""
    return {"kind": "error", "title": str(title), "detail": str(detail), "request_id": request_id}
