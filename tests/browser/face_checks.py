"""DOM checks of the face (form + app) shared by the JupyterLab and marimo browser tests.

Everything goes through Playwright locators and `locator.evaluate`, which reach into marimo's
shadow roots (document.querySelector does not).
"""

from __future__ import annotations

from typing import Any

CONTRAST_JS = """
(banner) => {
  const parse = (c) => {
    let m = c.match(/rgba?\\(([^)]+)\\)/);
    if (m) {
      const p = m[1].split(/[ ,\\/]+/).filter(Boolean).map(Number);
      return [p[0], p[1], p[2], p[3] ?? 1];
    }
    m = c.match(/color\\(srgb ([^)]+)\\)/);
    if (m) {
      const p = m[1].split(/[ \\/]+/).filter(Boolean).map(Number);
      return [p[0] * 255, p[1] * 255, p[2] * 255, p[3] ?? 1];
    }
    throw new Error("unknown colour " + c);
  };
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  // the banner's own background over whatever is behind it (alpha compositing up the tree)
  let bg = [0, 0, 0, 0];
  const layers = [];
  for (let el = banner; el; el = el.parentElement || (el.getRootNode() && el.getRootNode().host)) {
    const c = parse(getComputedStyle(el).backgroundColor);
    if (c[3] > 0) layers.push(c);
    if (c[3] >= 1) break;
  }
  if (!layers.length || layers[layers.length - 1][3] < 1) layers.push([255, 255, 255, 1]);
  bg = layers.pop();
  while (layers.length) {
    const c = layers.pop();
    bg = [0, 1, 2].map((i) => c[i] * c[3] + bg[i] * (1 - c[3])).concat([1]);
  }
  const out = {};
  for (const sel of [".fw-banner-title", ".fw-banner-detail", ".fw-banner-id"]) {
    const t = banner.querySelector(sel);
    if (!t) continue;
    const fg = parse(getComputedStyle(t).color);
    const a = lum(fg) + 0.05, b = lum(bg) + 0.05;
    out[sel] = Math.max(a, b) / Math.min(a, b);
  }
  return out;
}
"""

COLUMNS_JS = """
(app) => {
  const a = app.querySelector(".fw-inputs").getBoundingClientRect();
  const b = app.querySelector(".fw-output").getBoundingClientRect();
  return { inputs: [a.x, a.y, a.width], output: [b.x, b.y, b.width],
           width: app.getBoundingClientRect().width,
           two: b.x >= a.x + a.width - 1 && Math.abs(b.y - a.y) < 40 };
}
"""

FOCUS_JS = """
(root) => {
  const doc = root.getRootNode();
  let active = doc.activeElement;
  while (active && active.shadowRoot && active.shadowRoot.activeElement) {
    active = active.shadowRoot.activeElement;
  }
  const field = active && active.closest ? active.closest(".fw-field") : null;
  const settings = root.querySelector(".fw-settings");
  return { path: field ? field.dataset.path : null,
           inSettings: Boolean(active && active.closest && active.closest(".fw-settings")),
           settingsOpen: Boolean(settings && settings.open),
           error: field ? field.querySelector(".fw-field-error").textContent : null };
}
"""


def columns(app: Any) -> dict[str, Any]:
    """Where the inputs and the result pane sit: `two` when side by side."""
    return app.evaluate(COLUMNS_JS)


def banner_contrast(app: Any) -> dict[str, float]:
    """WCAG contrast ratio of each text line of the banner against its background."""
    return app.locator(".fw-banner").evaluate(CONTRAST_JS)


def focused_field(root: Any) -> dict[str, Any]:
    """The field that has focus (its path), and whether it sits in "Additional settings"."""
    return root.evaluate(FOCUS_JS)


def choose_preset(app: Any, value: str) -> None:
    app.locator(".fw-c-image_size select.fw-size-preset").select_option(value)


def custom_size(app: Any) -> tuple[str, str]:
    sizes = app.locator(".fw-c-image_size")
    return sizes.locator(".fw-size-w").input_value(), sizes.locator(".fw-size-h").input_value()
