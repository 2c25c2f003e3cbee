"""A bare page that runs a face bundle against an in-page model (no notebook server).

For fast DOM checks of the form and app front ends (layout, presets, focus, contrast) in headless
Chromium; the same behaviour is then checked end to end in JupyterLab and marimo. The in-page model
records what the front end sets and sends (`window.__fw.saved`, `window.__fw.sent`), and
`window.__fw.set(name, value)` plays Python changing a trait.
"""

from __future__ import annotations

import base64
import json
from typing import Any

SYNCED = (
    "spec",
    "value",
    "errors",
    "uploads",
    "status",
    "logs",
    "result",
    "banner",
    "header",
    "busy",
    "code",
    "disabled_reason",
)

_SCRIPT = """
const state = %(state)s;
const listeners = {};
window.__fw = { saved: [], sent: [], state,
  set(name, v) { state[name] = v; (listeners["change:" + name] || []).forEach((f) => f()); },
  custom(msg) { (listeners["msg:custom"] || []).forEach((f) => f(msg)); } };
const model = {
  get: (k) => state[k],
  set: (k, v) => { state[k] = v; (listeners["change:" + k] || []).forEach((f) => f()); },
  save_changes: () => window.__fw.saved.push(JSON.parse(JSON.stringify(state.value ?? null))),
  send: (msg, _cb, buffers) => window.__fw.sent.push({ msg, nbuffers: (buffers || []).length }),
  on: (ev, f) => (listeners[ev] = listeners[ev] || []).push(f),
  off: (ev, f) => (listeners[ev] = (listeners[ev] || []).filter((g) => g !== f)),
};
const mod = await import("data:text/javascript;base64,%(esm)s");
const el = document.getElementById("host");
await mod.default.render({ model, el, host: null, signal: new AbortController().signal });
window.__fw.ready = true;
"""


def page_html(widget: Any, *, scheme: str = "light", width: int | None = None) -> str:
    """HTML that renders `widget`'s bundle with its current synced state."""
    state = {k: getattr(widget, k) for k in SYNCED if widget.has_trait(k)}
    esm = base64.b64encode(widget._esm.encode()).decode()
    style = f"max-width:{width}px;" if width else ""
    return (
        "<!doctype html><html style='color-scheme:{}'><head><meta charset='utf-8'>"
        "<style>{} body{{margin:16px;background:light-dark(#fff,#111)}}</style></head>"
        "<body><div id='host' style='{}'></div><script type='module'>{}</script></body></html>"
    ).format(scheme, widget._css, style, _SCRIPT % {"state": json.dumps(state), "esm": esm})
