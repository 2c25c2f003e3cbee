"""`preview(output)`: the widget for one result, kept as small as the notebook-size budget asks."""

from __future__ import annotations

from typing import Any

import ipywidgets as W
from ipywidgets.widgets.widget_string import HTMLStyle

from falwidgets.previews._walk import Rendered, render

__all__ = ["html_widget", "preview", "to_widget"]


_shared: dict[str, W.Widget] = {}


def _model(kind: str, factory: type[W.Widget]) -> W.Widget:
    """One Layout and one HTMLStyle shared by every preview HTML, recreated if someone closed it.

    Each HTML widget otherwise brings two more models (about 1.3 KB of saved notebook state) that
    ``close()`` on the preview leaves behind; shared, a preview is a single ~0.5 KB model plus its
    markup. Do not restyle a preview through ``.layout``: wrap it in a Box instead.
    """
    model = _shared.get(kind)
    if model is None or model.comm is None:
        model = _shared[kind] = factory()
    return model


def html_widget(value: str = "") -> W.HTML:
    """An HTML widget on the shared layout and style models."""
    return W.HTML(value, layout=_model("layout", W.Layout), style=_model("style", HTMLStyle))


def to_widget(rendered: Rendered) -> W.Widget:
    """One ``HTML`` widget when the preview is pure HTML (the common case), else a ``VBox``.

    Every widget is three models (widget, layout, style) in a saved notebook, so a gallery of four
    images costs one HTML widget, not four image widgets.
    """
    parts = [html_widget(s) if isinstance(s, str) else s for s in rendered.segments]
    if len(parts) == 1 and isinstance(parts[0], W.HTML):
        widget: W.Widget = parts[0]
    else:
        widget = W.VBox(parts)
    widget.add_class("fw-preview")
    return widget


def preview(output: Any, *, spec: Any = None) -> W.Widget:
    """A widget showing ``output``: media inline by URL, detections over their image, chips, JSON.

    ``output`` is any result (dict, list, Pydantic model, a URL string). ``spec`` is the output
    `FieldSpec` (or the `EndpointSchema`), used for labels and to tell the media kind of URLs that
    carry neither a content type nor an extension. Extend it with `register_preview`.
    """
    return to_widget(render(output, spec=spec))
