// Helpers for the result, history and sweep front ends. Text always goes in as text nodes (never
// innerHTML), so server text needs no escaping here; URLs go through safeUrl.

import { h as base } from "../shared/dom.js";

/** h("div.fw-x.fw-y", props, ...children): the shared builder (text only as text nodes) with
 * classes written after the tag name. */
export function h(tag, props, ...children) {
  const [name, ...classes] = tag.split(".");
  const all = { ...(props || {}) };
  if (classes.length) all.class = [classes.join(" "), all.class].filter(Boolean).join(" ");
  return base(name || "div", all, ...children);
}

// The URLs the front end loads or links: what Python's previews/_safety.safe_url lets through.
const HTTP = /^https?:\/\/[^\s/?#]+/i;
const DATA = /^data:(image|video|audio|model)\/[a-z0-9.+-]+[;,]|^data:application\/octet-stream[;,]/i;
const CONTROL = /[\x00-\x20\x7f]/;

/** The URL if it may go into src (or href when `href`), else null. Python checks first; this is
 * a second line so a block from a user factory cannot smuggle javascript: in. */
export function safeUrl(url, href = false) {
  if (typeof url !== "string" || !url || CONTROL.test(url)) return null;
  if (HTTP.test(url)) return url;
  if (DATA.test(url)) {
    if (href && /^data:image\/svg\+xml/i.test(url)) return null;
    return url;
  }
  return null;
}

const NS = "http://www.w3.org/2000/svg";
const PATHS = {
  expand: ["M4 9V4h5", "M20 9V4h-5", "M4 15v5h5", "M20 15v5h-5"],
  download: ["M12 4v11", "M7 10l5 5 5-5", "M4 20h16"],
  copy: ["M9 9h11v11H9z", "M5 15H4V4h11v1"],
  close: ["M18 6L6 18", "M6 6l12 12"],
  prev: ["M15 6l-6 6 6 6"],
  next: ["M9 6l6 6-6 6"],
};

/** An inline SVG icon (stroke follows the text colour; no font glyph that may be missing). */
function svg(name) {
  const el = document.createElementNS(NS, "svg");
  el.setAttribute("viewBox", "0 0 24 24");
  el.setAttribute("class", "fw-icon");
  el.setAttribute("aria-hidden", "true");
  el.setAttribute("width", "16");
  el.setAttribute("height", "16");
  el.setAttribute("fill", "none");
  el.setAttribute("stroke", "currentColor");
  el.setAttribute("stroke-width", "2");
  el.setAttribute("stroke-linecap", "round");
  el.setAttribute("stroke-linejoin", "round");
  for (const d of PATHS[name]) {
    const p = document.createElementNS(NS, "path");
    p.setAttribute("d", d);
    el.append(p);
  }
  return el;
}

export const icons = {
  get expand() { return svg("expand"); },
  get download() { return svg("download"); },
  get copy() { return svg("copy"); },
  get close() { return svg("close"); },
  get prev() { return svg("prev"); },
  get next() { return svg("next"); },
};

/** Copy text to the clipboard; resolves true when it worked (insecure contexts have no API). */
export async function copyText(text) {
  try {
    await navigator.clipboard.writeText(text);
    return true;
  } catch (_err) {
    const area = h("textarea", { style: { position: "fixed", opacity: "0" } });
    area.value = text;
    document.body.append(area);
    area.select();
    let ok = false;
    try {
      ok = document.execCommand("copy");
    } catch (_e) {
      ok = false;
    }
    area.remove();
    return ok;
  }
}

/** A small button with an icon and an accessible name. */
export function iconButton(icon, label, onclick, cls = "") {
  return h(`button.fw-r-btn${cls ? "." + cls : ""}`, { type: "button", title: label, "aria-label": label, onclick }, icon);
}

/** Short human time: "12:31" today, else "2026-12-01 12:31". */
export function when(seconds) {
  if (!seconds) return "";
  const d = new Date(seconds * 1000);
  const pad = (n) => String(n).padStart(2, "0");
  const time = `${pad(d.getHours())}:${pad(d.getMinutes())}`;
  const today = new Date();
  if (d.toDateString() === today.toDateString()) return time;
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${time}`;
}

/** "0.31 s", "2 min 4 s". */
export function seconds(value) {
  if (typeof value !== "number" || !isFinite(value)) return "";
  if (value < 60) return `${value < 10 ? value.toFixed(2) : value.toFixed(1)} s`;
  return `${Math.floor(value / 60)} min ${Math.round(value % 60)} s`;
}
