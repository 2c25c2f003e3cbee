"""Outputs into widgets: the preview of a result, reused in place, and closing what it replaces.

The app's result area, the sweep's cells and the history's comparisons all show outputs the same
way, so the helpers live here rather than inside one of them.
"""

from __future__ import annotations

from typing import Any

import ipywidgets as w

from falwidgets.previews import preview, render


def render_output(output: Any, spec: Any = None) -> w.Widget:
    """The preview layer's widget for ``output``."""
    return preview(output, spec=spec)


def render_html(output: Any, spec: Any = None) -> str | None:
    """The preview as one HTML string when it needs no widgets (images, media, JSON: the common
    case), else ``None`` (a GLB viewer, say). Updating one HTML widget's value per run instead of
    creating widgets keeps a saved notebook's widget state flat however many runs it holds."""
    segments = render(output, spec=spec).segments
    if all(isinstance(s, str) for s in segments):
        return "".join(s for s in segments if isinstance(s, str))
    return None


def show_in(box: w.Box, output: Any, spec: Any = None, slot: int = -1) -> None:
    """Put ``output``'s preview at ``box.children[slot]``, reusing an HTML preview widget there."""
    children = list(box.children)
    current = children[slot] if children else None
    html_text = render_html(output, spec)
    if (
        html_text is not None
        and isinstance(current, w.HTML)
        and "fw-preview" in current._dom_classes
    ):
        current.value = html_text
        return
    if html_text is not None:
        widget: w.Widget = w.HTML(html_text)
        widget.add_class("fw-preview")
    else:
        widget = render_output(output, spec)
    if children:
        children[slot] = widget
    else:
        children = [widget]
    box.children = children
    if current is not None:
        close_tree(current)


def close_tree(widget: w.Widget, keep: frozenset[int] | set[int] = frozenset()) -> None:
    """Close a widget and its children: replaced previews must leave the notebook's widget state.

    Widgets whose ``id`` is in ``keep`` (the user's own, say) are left open with their subtree.
    """
    if id(widget) in keep:
        return
    if isinstance(widget, w.Box):
        for child in widget.children:
            close_tree(child, keep)
    widget.close()
