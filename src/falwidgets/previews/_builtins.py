"""The built-in registry entries: files by kind, detection overlays, chips.

Each entry renders one node into compact markup (one HTML widget per preview in the end), with
media referenced by URL so no bytes go through the kernel. Every string written here passes
through `esc`; every src/href through `safe_url` (already applied in `MediaRef.url`).
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from falwidgets.previews._media import MediaRef
from falwidgets.previews._registry import Block, Node, registry
from falwidgets.previews._safety import esc, safe_url

__all__ = ["CHIP_GROUPS", "CHIP_KEYS", "boxes_of", "download_link", "human_size"]

# scalar fields shown as chips wherever they appear, and objects whose scalars all become chips
CHIP_KEYS: set[str] = {
    "seed",
    "inference_time",
    "elapsed",
    "duration",
    "fps",
    "num_frames",
    "finish_reason",
}
CHIP_GROUPS: set[str] = {"timings", "metrics", "usage_info"}

# a download link repeats the URL; for inline data: URIs only below this size
_DATA_LINK_LIMIT = 64 * 1024
_MAX_OVERLAYS = 500


def human_size(size: int | None) -> str:
    if size is None or size < 0:
        return ""
    value = float(size)
    for unit in ("B", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "B" else f"{value:.1f} {unit}"
        value /= 1024
    return ""  # pragma: no cover


def download_link(ref: MediaRef) -> str:
    """``<a class="fw-download">`` for a file, or its escaped name when it cannot be linked."""
    size = human_size(ref.file_size)
    text = esc(ref.display_name) + (f" · {size}" if size else "")
    href = safe_url(ref.raw_url, href=True)
    if href is None or (ref.is_data and len(href) > _DATA_LINK_LIMIT):
        return f'<span class="fw-download">{text}</span>'
    # target=_blank implies noopener in current browsers; `download` is honoured same-origin only
    return f'<a class="fw-download" href="{esc(href)}" download target="_blank">{text}</a>'


def _img(ref: MediaRef, url: str) -> str:
    # tabindex makes the image focusable: CSS :focus enlarges it (an HTML widget runs no JS)
    return f'<img class="fw-image" src="{esc(url)}" alt="{esc(ref.display_name)}" tabindex="0">'


def _repeated_data(node: Node, ref: MediaRef) -> Block | None:
    """A data: URI already shown in this output is not sent a second time (it is the bytes)."""
    walk = node.walk
    if ref.is_data and ref.url and walk is not None and not walk.first_time(ref.url):
        text = esc(f"{node.label or ref.kind}: same {ref.kind} as above")
        note = f'<span class="fw-note">{text}</span>'
        return Block("downloads", [note], label=node.group_label)
    return None


def _is_media(kind: str) -> Any:
    return lambda node: (m := node.media) is not None and m.url is not None and m.kind == kind


# --- files ----------------------------------------------------------------------------------


@registry.builtin(lambda node: (m := node.media) is not None and m.url is None, name="blocked")
def _blocked(node: Node) -> Block:
    """A file whose URL is not http(s) or a media data: URI: shown, never linked."""
    ref = node.media
    assert ref is not None
    text = ref.raw_url if len(ref.raw_url) <= 200 else ref.raw_url[:200] + "…"
    return Block(
        "downloads", [f'<span class="fw-blocked" title="URL not rendered">{esc(text)}</span>']
    )


@registry.builtin(_is_media("image"), name="image")
def _image(node: Node) -> Block:
    ref = node.media
    assert ref is not None and ref.url is not None
    if (repeat := _repeated_data(node, ref)) is not None:
        return repeat
    return Block(
        "gallery",
        [f'<div class="fw-item">{_img(ref, ref.url)}{download_link(ref)}</div>'],
        label=node.group_label,
    )


def _player(node: Node, tag: str) -> Block:
    """A ``<video>``/``<audio>`` element (class ``fw-<tag>``) with a download link under it."""
    ref = node.media
    assert ref is not None and ref.url is not None
    if (repeat := _repeated_data(node, ref)) is not None:
        return repeat
    return Block(
        "html",
        [
            f'<{tag} class="fw-{tag}" src="{esc(ref.url)}" controls preload="metadata"></{tag}>'
            f"<div>{download_link(ref)}</div>"
        ],
        label=node.label,
    )


@registry.builtin(_is_media("video"), name="video")
def _video(node: Node) -> Block:
    return _player(node, "video")


@registry.builtin(_is_media("audio"), name="audio")
def _audio(node: Node) -> Block:
    return _player(node, "audio")


GLB_MAX_WIDTH = "512px"  # the width other previews have, so a 3D result does not dwarf them


@registry.builtin(_is_media("glb"), name="glb")
def _glb(node: Node) -> Block:
    """A three.js viewer the first time a GLB URL appears; a download link after that."""
    ref = node.media
    assert ref is not None and ref.url is not None
    walk = node.walk
    link = f'<div class="fw-files">{download_link(ref)}</div>'
    if walk is None or not walk.allow_widgets:
        return Block("downloads", [download_link(ref)], label=node.group_label)
    if not walk.first_time(ref.url):  # e.g. model_urls.glb repeating model_mesh: the viewer
        return Block("downloads", [], label=node.group_label)  # above already links it
    from falwidgets.previews._glb import GLBViewer  # anywidget: imported when a GLB shows up

    try:
        viewer = GLBViewer(url=ref.url)
    except (TypeError, ValueError):  # a URL the viewer refuses (odd data: type): link only
        return Block("downloads", [download_link(ref)], label=node.group_label)
    viewer.add_class("fw-glb")
    viewer.layout.width, viewer.layout.max_width = "100%", GLB_MAX_WIDTH  # as wide as images
    return Block("widget", [link], label=node.label, widget=viewer)


@registry.builtin(
    lambda node: (m := node.media) is not None and m.kind in ("model3d", "file"), name="file"
)
def _file(node: Node) -> Block:
    ref = node.media
    assert ref is not None
    return Block("downloads", [download_link(ref)], label=node.group_label)


# --- detection ------------------------------------------------------------------------------

_LABEL_KEYS = ("label", "name", "class", "category", "text")
_SCORE_KEYS = ("score", "confidence")


def _num(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value)


def _box(item: Any) -> tuple[str, tuple[float, ...]] | None:
    """("box", x0, y0, x1, y1) or ("point", x, y) in the item's own units, or None."""
    if not isinstance(item, Mapping):
        return None
    if all(_num(item.get(k)) for k in ("x_min", "y_min", "x_max", "y_max")):
        return "box", (item["x_min"], item["y_min"], item["x_max"], item["y_max"])
    if _num(item.get("x")) and _num(item.get("y")):
        w = item.get("w", item.get("width"))
        h = item.get("h", item.get("height"))
        if _num(w) and _num(h):
            return "box", (item["x"], item["y"], item["x"] + w, item["y"] + h)
        if "w" not in item and "width" not in item:
            return "point", (item["x"], item["y"])
    return None


def boxes_of(value: Any) -> list[tuple[str, tuple[float, ...], Mapping[str, Any]]]:
    """Detection shapes in a list of boxes/points (or one x_min.. box); [] if it is not one."""
    if isinstance(value, Mapping):  # one box on its own (a lone {x, y} is a position)
        shape = _box(value)
        return [(shape[0], shape[1], value)] if shape and shape[0] == "box" else []
    if not isinstance(value, list) or not value:
        return []
    found = []
    for item in value:
        shape = _box(item)
        if shape is None:
            return []
        found.append((shape[0], shape[1], item))
    return found


def _find_image(node: Node) -> Node | None:
    """The image the detections refer to: a sibling, else one in an enclosing object."""
    parent = node.parent
    while parent is not None:
        if isinstance(parent.value, Mapping):
            candidates = [c for c in parent.children() if c.path != node.path[: len(c.path)]]
            candidates.sort(key=lambda c: c.key != "image")
            for cand in candidates:
                ref = cand.media
                if ref is not None and ref.kind == "image" and ref.url is not None:
                    return cand
        parent = parent.parent
    return None


def _label(item: Mapping[str, Any]) -> str:
    label = next((str(item[k]) for k in _LABEL_KEYS if isinstance(item.get(k), (str, int))), "")
    score = next((item[k] for k in _SCORE_KEYS if _num(item.get(k))), None)
    if score is not None:
        label = f"{label} {score:.2f}".strip()
    return label


def _pct(v: float) -> str:
    return f"{min(max(v, 0.0), 1.0) * 100:.2f}%"


@registry.builtin(lambda node: bool(boxes_of(node.value)), name="boxes")
def _boxes(node: Node) -> Block | None:
    """Normalised boxes and points over their image (absolutely positioned, in percent)."""
    shapes = boxes_of(node.value)
    image = _find_image(node)
    if image is None:
        return None
    ref = image.media
    assert ref is not None and ref.url is not None
    coords = [v for _, c, _ in shapes for v in c]
    scale_x = scale_y = 1.0
    if max(coords) > 1.0 + 1e-6 or min(coords) < -1e-6:  # pixels: needs the image's size
        if not (ref.width and ref.height):
            return None
        scale_x, scale_y = 1.0 / ref.width, 1.0 / ref.height
    marks = []
    for index, (kind, c, item) in enumerate(shapes[:_MAX_OVERLAYS]):
        label = esc(_label(item) or f"#{index + 1}")  # every box gets a tag, else its number
        if kind == "box":
            x0, y0, x1, y1 = c[0] * scale_x, c[1] * scale_y, c[2] * scale_x, c[3] * scale_y
            x0, x1 = sorted((x0, x1))
            y0, y1 = sorted((y0, y1))
            style = f"left:{_pct(x0)};top:{_pct(y0)};width:{_pct(x1 - x0)};height:{_pct(y1 - y0)}"
            inner = f"<span>{label}</span>" if label else ""
            marks.append(f'<div class="fw-box" style="{style}" title="{label}">{inner}</div>')
        else:
            style = f"left:{_pct(c[0] * scale_x)};top:{_pct(c[1] * scale_y)}"
            marks.append(f'<div class="fw-box fw-point" style="{style}" title="{label}"></div>')
    more = len(shapes) - _MAX_OVERLAYS
    note = f'<div class="fw-note">{more} more not drawn</div>' if more > 0 else ""
    node.consume(image)
    html = (
        f'<div class="fw-boxes" data-count="{len(shapes)}"><div class="fw-stage">'
        f"{_img(ref, ref.url)}{''.join(marks)}</div>{note}<div>{download_link(ref)}</div></div>"
    )
    return Block("html", [html], label=node.label)


# --- chips ----------------------------------------------------------------------------------


def _scalar(value: Any) -> bool:
    return isinstance(value, (str, int, float, bool)) and not (
        isinstance(value, str) and len(value) > 80
    )


def _fmt(value: Any) -> str:
    if isinstance(value, float):
        return f"{value:.3g}"
    return str(value)


def _chip(name: str, value: Any) -> str:
    return f'<span class="fw-chip"><b>{esc(name)}</b> {esc(_fmt(value))}</span>'


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


@registry.builtin(_is_chip, name="chips")
def _chips(node: Node) -> Block:
    """``seed``, ``timings``, ``metrics.inference_time``...: small facts, one row of chips."""
    if isinstance(node.value, Mapping):
        parts = [_chip(str(k), v) for k, v in node.value.items()]
    else:
        parts = [_chip(str(node.key), node.value)]
    return Block("chips", parts)
