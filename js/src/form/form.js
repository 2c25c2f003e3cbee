// The form renderer shared by the Form widget and the App shell: draws the `spec` tree from Python,
// keeps a local copy of `value` that each control edits (synced to Python, debounced), and shows
// Python's `errors` beside their fields. Python is the authority; local checks are only instant hints.
import { h, replace } from "../shared/dom.js";
import { icon } from "../shared/icons.js";
import { BLOCK, controlFor, registerControl } from "./controls/registry.js";
import "./controls/basic.js";
import "./controls/special.js";
import "./controls/containers.js";
import "./controls/file.js";
import "./controls/widget.js";
import { emptyOf } from "./controls/containers.js";

const SYNC_MS = 150;
let uid = 0;
const key = (path) => path.join(".");
const clone = (v) => (v === undefined ? undefined : JSON.parse(JSON.stringify(v)));
const same = (a, b) => JSON.stringify(a) === JSON.stringify(b);

/** Load the ES-module controls Python registered (register_control) before drawing. */
export async function loadControls(model) {
  const modules = model.get("_controls") || {};
  for (const [name, source] of Object.entries(modules)) {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    try {
      const mod = await import(/* @vite-ignore */ url);
      registerControl(name, mod.default);
    } finally {
      URL.revokeObjectURL(url);
    }
  }
}

export function mountForm(model, { host = null } = {}) {
  const spec = model.get("spec") || {};
  let value = clone(model.get("value")) || {};
  let timer = null;
  const rows = new Map(); // path key -> row
  const top = [];
  const message = h("div", { class: "fw-form-message", role: "alert", hidden: true });

  const flush = () => {
    if (timer === null) return;
    clearTimeout(timer);
    timer = null;
    model.set("value", clone(value));
    model.save_changes();
  };
  const schedule = () => {
    if (timer !== null) clearTimeout(timer);
    timer = setTimeout(flush, SYNC_MS);
  };

  const form = {
    model,
    host,
    upload(path, file, buffer) {
      flush();
      model.send({ type: "upload", path, name: file.name, mime: file.type || "", size: file.size }, undefined, [buffer]);
      const uploads = { ...(model.get("uploads") || {}), [key(path)]: { name: file.name, state: "uploading" } };
      localUploads = uploads;
      refreshAll();
    },
    uploadState(path) {
      return (localUploads || model.get("uploads") || {})[key(path)];
    },
  };
  let localUploads = null;

  function makeRow(node, bind, parentCtx) {
    const path = bind.path;
    const row = { node, path, messages: [], local: null };
    const errEl = h("div", { class: "fw-field-error", role: "alert" });
    const ctx = {
      form,
      localError(msg) { row.local = msg; paint(); },
      refresh() { paintOptional(); },
      child(childNode, childBindArg) { return makeRow(childNode, childBindArg, ctx); },
    };
    // an optional switch is a three-way choice (not set / on / off), not a second switch
    const controlName = node.optional && node.control === "boolean" ? "tristate" : node.control;
    const rowBind = { path: bind.path, get: bind.get, set: (v) => { bind.set(v); paintOptional(); } };
    const control = controlFor(controlName)(node, rowBind, ctx);
    const ownsUnset = controlName === "tristate";
    const label = node.label ? h("label", { class: "fw-label" }, node.label, node.required && !node.optional ? h("span", { class: "fw-req", title: "Required" }, " *") : null) : null;
    let toggle = null;
    const unsetNote = h("span", { class: "fw-unset-note fw-muted", hidden: true }, "not set");
    if (node.optional && !ownsUnset) {
      toggle = h("input", { type: "checkbox", class: "fw-switch fw-small fw-set", "aria-label": `Set ${node.label}`, title: "Send this field" });
      toggle.addEventListener("change", () => {
        if (toggle.checked) {
          const guess = node.initial ?? node.default ?? node.example;
          bind.set(guess !== undefined && guess !== null ? clone(guess) : emptyOf({ ...node, initial: undefined, example: undefined }));
        } else bind.set(undefined);
        control.update();
        paintOptional();
      });
    }
    const help = node.description && !node.compact ? h("div", { class: "fw-help" }, node.description) : null;
    const hint = node.hint ? h("div", { class: "fw-hint fw-muted" }, node.hint) : null;
    const inline = control.inline && !BLOCK.has(node.control);
    const head = label || toggle ? h("div", { class: "fw-label-line" }, toggle, label, unsetNote) : null;
    const body = h("div", { class: "fw-control" }, control.el);
    const el = h("div", {
      class: `fw-field fw-c-${node.control}${inline ? " fw-inline" : ""}${BLOCK.has(node.control) ? " fw-block" : ""}${node.compact ? " fw-compact" : ""}`,
      dataset: { path: key(path), field: node.name || "" },
    }, inline ? h("div", { class: "fw-inline-line" }, body, head) : [head, body], help, hint, errEl);
    row.el = el;
    // the label names its control (screen readers, click-to-focus, getByLabel in tests)
    const target = label && control.el.matches?.("input, select, textarea")
      ? control.el
      : label && control.el.querySelector?.("input:not([type=file]):not([type=range]), select, textarea");
    if (target && !node.compact) {
      target.id = target.id || `fw-${++uid}`;
      label.htmlFor = target.id;
    }
    function paintOptional() {
      if (!toggle) return;
      const v = bind.get();
      const set = v !== undefined && v !== null;
      toggle.checked = set;
      el.classList.toggle("fw-unset", !set);
      unsetNote.hidden = set;
    }
    function paint() {
      const msgs = [...row.messages];
      if (row.local && !msgs.length) msgs.push(row.local);
      replace(errEl, msgs.join(" · "));
      el.classList.toggle("fw-has-error", msgs.length > 0);
      el.toggleAttribute("data-error", msgs.length > 0);
    }
    row.paint = paint;
    row.paintOptional = paintOptional;
    row.update = () => { control.update(); paintOptional(); };
    row.focus = () => {
      const target = el.querySelector(".fw-control input:not([type=hidden]):not([type=file]), .fw-control select, .fw-control textarea, .fw-control [tabindex]") || toggle;
      (target || el).focus?.();
      return target;
    };
    rows.set(key(path), row);
    row.update();
    return row;
  }

  const topBind = (name) => ({
    path: [name],
    get: () => value[name],
    set: (v) => {
      if (v === undefined) delete value[name];
      else value[name] = v;
      schedule();
      if (gates.has(name)) paintGates();
    },
  });

  const props = new Map((spec.properties || []).map((p) => [p.name, p]));
  const build = (name) => {
    const row = makeRow(props.get(name), topBind(name));
    top.push(row);
    return row.el;
  };
  const layout = spec.layout || { main: [...props.keys()], groups: [] };
  const main = h("div", { class: "fw-main" }, layout.main.map(build));
  const gates = new Map();
  let settings = null;
  const settingsErrors = h("span", { class: "fw-settings-errors" });
  const count = layout.groups.reduce((n, g) => n + g.fields.length + (g.gate ? 1 : 0), 0);
  const settingsNames = new Set(layout.groups.flatMap((g) => (g.gate ? [g.gate, ...g.fields] : g.fields)));
  const settingsBody = h("div", { class: "fw-settings-body" });
  let settingsBuilt = false;
  // "Additional settings" is drawn on first open (or when an error or a focus needs it): a big
  // form then appears as fast as its main section; values live in `value` either way.
  const buildSettings = () => {
    if (settingsBuilt || !count) return;
    settingsBuilt = true;
    const groups = layout.groups.map((g) => {
      const body = h("div", { class: "fw-group-body" }, g.fields.map(build));
      if (!g.gate) return h("div", { class: "fw-group" }, g.title ? h("div", { class: "fw-group-title" }, g.title) : null, body);
      const gateRow = makeRow({ ...props.get(g.gate), label: g.title, description: props.get(g.gate).description }, topBind(g.gate));
      top.push(gateRow);
      gates.set(g.gate, body);
      return h("div", { class: "fw-group fw-gated" }, h("div", { class: "fw-group-head" }, gateRow.el), body);
    });
    replace(settingsBody, groups);
    paintGates();
  };
  if (count) {
    settings = h("details", { class: "fw-settings" },
      h("summary", null, icon("chevron"), h("span", null, "Additional settings"), h("span", { class: "fw-muted fw-count" }, ` ${count}`), settingsErrors),
      settingsBody);
    settings.addEventListener("toggle", () => { if (settings.open) { buildSettings(); applyErrors(); } });
  }
  function paintGates() {
    for (const [name, body] of gates) body.hidden = value[name] !== true;
  }
  paintGates();

  const el = h("div", { class: "fw-form", dataset: { ready: "1" } }, message, main, settings);

  function refreshAll() {
    top.forEach((r) => r.update());
    paintGates();
  }

  function applyErrors() {
    const errors = model.get("errors") || [];
    const inSettings = errors.filter((e) => settingsNames.has(String((e.loc || [])[0])));
    if (inSettings.length && !settingsBuilt) buildSettings();
    rows.forEach((r) => { r.messages = []; });
    const loose = [];
    for (const err of errors) {
      const loc = (err.loc || []).map(String);
      let placed = false;
      for (let n = loc.length; n > 0 && !placed; n--) {
        const row = rows.get(loc.slice(0, n).join("."));
        if (row && row.el.isConnected !== false) {
          const rest = loc.slice(n).join(".");
          row.messages.push(rest ? `${rest}: ${err.msg}` : String(err.msg));
          placed = true;
        }
      }
      if (!placed) loose.push(loc.length ? `${loc.join(".")}: ${err.msg}` : String(err.msg));
    }
    rows.forEach((r) => { if (r.messages.length) r.local = null; r.paint(); });
    if (settings) {
      const bad = new Set(inSettings.map((e) => String(e.loc[0]))).size;
      settingsErrors.textContent = bad ? ` · ${bad} error${bad === 1 ? "" : "s"}` : "";
    }
    message.hidden = !loose.length;
    replace(message, loose.join(" · "));
  }

  /** Open the sections around the first field with an error, scroll to it and focus it. */
  function focusFirstError() {
    const bad = el.querySelector(".fw-field.fw-has-error");
    if (!bad) return null;
    for (let p = bad.parentElement; p && p !== el; p = p.parentElement) {
      if (p.tagName === "DETAILS") p.open = true;
      if (p.hidden) p.hidden = false;
    }
    const row = rows.get(bad.dataset.path);
    bad.scrollIntoView({ block: "center" });
    const target = row ? row.focus() : null;
    return bad.dataset.path;
  }

  const onValue = () => {
    const incoming = model.get("value") || {};
    if (timer !== null) return; // our own edit is on its way; Python will echo it
    if (same(incoming, value)) return;
    value = clone(incoming);
    refreshAll();
  };
  const onUploads = () => { localUploads = null; refreshAll(); };
  const onMsg = (msg) => { if (msg && msg.type === "focus_error") setTimeout(focusFirstError, 0); };
  model.on("change:value", onValue);
  model.on("change:errors", applyErrors);
  model.on("change:uploads", onUploads);
  model.on("msg:custom", onMsg);
  applyErrors();

  return {
    el,
    flush,
    focusFirstError,
    value: () => value,
    destroy() {
      flush();
      model.off("change:value", onValue);
      model.off("change:errors", applyErrors);
      model.off("change:uploads", onUploads);
      model.off("msg:custom", onMsg);
    },
  };
}
