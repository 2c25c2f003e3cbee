"""A history card: one past run as thumbnail, endpoint, key inputs, status and time (HTML).

The cards are the history's view of journal entries; what to do with them (load, rerun, compare,
resume) is the history's and the resume policy's job.
"""

from __future__ import annotations

import json
from typing import Any

import ipywidgets as w

from falwidgets.previews import esc
from falwidgets.runner._entry import EntryView, first_media, safe_src

UPLOAD_AGAIN = "upload again: this file was inlined as a data URI too large for the history"


def rerun_blocker(fields: list[str]) -> str:
    """Why a past run cannot be sent again as it was (its uploads were not kept)."""
    names = ", ".join(fields)
    return (
        f"the file in {names} was uploaded as a data URI over 64 KB, which the history does not "
        "keep; Load the run, upload the file again, then Run"
    )


_STATUS_COLOURS = {"COMPLETED": "#2e7d32", "FAILED": "#c62828"}  # journal statuses


class Card(w.HBox):
    """One past run: thumbnail, facts, Load / Rerun buttons and a Compare checkbox."""

    def __init__(
        self, view: EntryView, varying: tuple[str, ...] = (), note: str | None = None
    ) -> None:
        self.view = view
        self.thumb = w.HTML(layout={"flex": "0 0 100px"})
        self.facts = w.HTML(layout={"flex": "1 1 auto", "min_width": "0"})
        self.load_button = w.Button(description="Load", icon="upload", layout={"width": "96px"})
        self.rerun_button = w.Button(description="Rerun", icon="redo", layout={"width": "96px"})
        self.compare_box = w.Checkbox(description="Compare", indent=False)
        self.compare_box.layout.width = "96px"
        self.load_button.add_class("fw-load")
        self.rerun_button.add_class("fw-rerun")
        self.compare_box.add_class("fw-compare")
        # a fixed-width column so every card's buttons line up whatever the facts say
        actions = w.VBox(
            [self.load_button, self.rerun_button, self.compare_box],
            layout={"flex": "0 0 104px", "width": "104px"},
        )
        actions.add_class("fw-card-actions")
        super().__init__([self.thumb, self.facts, actions])
        self.add_class("fw-card")
        self.layout.border = "1px solid #ddd"
        self.layout.padding = "4px"
        self.layout.margin = "2px 0"
        self.layout.flex = "0 0 auto"  # in the scrolling list, cards scroll; they never shrink
        self.refresh(view, varying, note)

    def refresh(
        self, view: EntryView, varying: tuple[str, ...] = (), note: str | None = None
    ) -> None:
        """Show ``view``; ``note`` is a line the history adds (say, why it was not resumed)."""
        self.view = view
        omitted = view.omitted
        self.rerun_button.disabled = bool(omitted)
        self.rerun_button.tooltip = (
            f"Cannot rerun: {rerun_blocker(omitted)}" if omitted else "Run these inputs again"
        )
        self.thumb.value = thumb_html(view)
        colour = _STATUS_COLOURS.get(view.status, "#555")
        inference = view.metrics.get("inference_time")
        timing = f" · {inference:.2f} s" if isinstance(inference, (int, float)) else ""
        error = f'<div class="fw-card-error">{esc(view.error[:200])}</div>' if view.error else ""
        if note:
            error += f'<div class="fw-card-note" style="color:#8a6d00">{esc(note)}</div>'
        rid = view.request_id
        self.facts.value = (
            f'<div class="fw-card-facts" style="padding:0 8px;overflow:hidden">'
            f"<div><b>{esc(view.endpoint)}</b></div>"
            f"{inputs_html(view.arguments, varying)}"
            f'<div><span class="fw-card-status" style="color:{colour}">{esc(view.status)}</span>'
            f"{esc(timing)} · {esc(view.when_text())} · "
            f'<code class="fw-request-id" title="{esc(rid)}" style="font-size:11px;color:#888">'
            f"{esc(rid[:8])}</code></div>{error}</div>"
        )


PROMPT_KEYS = ("prompt", "text", "text_prompt", "query", "input")
EXCERPT = 90  # characters of a prompt shown on a card
_KIND_ICONS = {
    "audio": ("♪", "audio"),
    "model3d": ("◆", "3D model"),
    "video": ("▶", "video"),
    "json": ("{ }", "data"),
    "failed": ("✕", "no output"),
}
_THUMB_BOX = "width:96px;height:96px;border-radius:4px"


def thumb_html(view: EntryView) -> str:
    """An image thumbnail, a video's first frame, or an icon naming the kind of output: never a
    blank grey square that tells one card from another by nothing."""
    src = view.thumbnail
    if src and safe_src(src):
        return (
            f'<img class="fw-thumb" src="{esc(src)}" loading="lazy" '
            f'style="{_THUMB_BOX};object-fit:cover">'
        )
    media = first_media(view.output)
    if media and media[0] == "video" and safe_src(media[1]):
        return (  # preload=metadata: the browser fetches enough to draw the first frame
            f'<video class="fw-thumb fw-thumb-video" src="{esc(media[1])}#t=0.1" '
            f'preload="metadata" muted playsinline style="{_THUMB_BOX};object-fit:cover;'
            'background:#222"></video>'
        )
    kind = media[0] if media else ("json" if view.output is not None else "failed")
    icon, label = _KIND_ICONS[kind]
    return (
        f'<div class="fw-thumb fw-thumb-icon fw-thumb-{kind}" title="{label}" '
        f'style="{_THUMB_BOX};background:#eef1f5;color:#456;display:flex;flex-direction:column;'
        'align-items:center;justify-content:center;font-size:28px">'
        f'{icon}<span style="font-size:11px">{label}</span></div>'
    )


def prompt_of(arguments: dict[str, Any]) -> str | None:
    for key in PROMPT_KEYS:
        value = arguments.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
    return None


def _short(value: Any) -> str:
    text = value if isinstance(value, str) else json.dumps(value, default=str)
    return text if len(text) <= 24 else text[:23] + "…"


def inputs_html(arguments: dict[str, Any], varying: tuple[str, ...]) -> str:
    """The card's key inputs: a prompt excerpt, then the parameters that differ between runs."""
    prompt = prompt_of(arguments)
    parts = []
    if prompt:
        excerpt = prompt if len(prompt) <= EXCERPT else prompt[: EXCERPT - 1] + "…"
        parts.append(
            f'<div class="fw-card-prompt" title="{esc(prompt)}" style="white-space:nowrap;'
            f'overflow:hidden;text-overflow:ellipsis;font-style:italic">“{esc(excerpt)}”</div>'
        )
    chips = [
        f'<span class="fw-card-param">{esc(key)}=<b>{esc(_short(arguments[key]))}</b></span>'
        for key in varying
        if key in arguments
    ]
    if chips:
        joined = " · ".join(chips)
        parts.append(f'<div class="fw-card-params" style="font-size:12px">{joined}</div>')
    return "".join(parts)


def varying_keys(views: list[EntryView]) -> dict[str, tuple[str, ...]]:
    """Per endpoint, the scalar inputs whose values differ between its runs (seed, guidance…):
    what tells one card from the next. Prompts are shown anyway, so they are left out."""
    seen: dict[str, dict[str, set[str]]] = {}
    for view in views:
        per = seen.setdefault(view.endpoint, {})
        for key, value in view.arguments.items():
            if key in PROMPT_KEYS or isinstance(value, (dict, list)):
                continue
            per.setdefault(key, set()).add(json.dumps(value, default=str))
    out: dict[str, tuple[str, ...]] = {}
    for endpoint, per in seen.items():
        runs = [v for v in views if v.endpoint == endpoint]
        keys = [
            k
            for k, values in per.items()
            if len(values) > 1 or sum(k in v.arguments for v in runs) < len(runs)
        ]
        out[endpoint] = tuple(keys[:6])
    return out
