"""Speak to a History widget as its browser front end does (custom messages), capture answers."""

from __future__ import annotations

from typing import Any


def browser_says(widget: Any, **message: Any) -> list[dict[str, Any]]:
    """Deliver ``message`` as the front end would and return what the widget sent back."""
    sent: list[dict[str, Any]] = []
    original = widget.send
    widget.send = lambda content, buffers=None: sent.append(content)
    try:
        widget._handle_custom_msg(message, [])
    finally:
        widget.send = original
    return sent
