// Controls with their own value shapes: image size presets, RGB colour, JSON and JSON-in-string.
import { h } from "../../shared/dom.js";
import { registerControl } from "./registry.js";

const CUSTOM = "__custom__";

function imageSize(node, bind) {
  const presets = node.presets || [];
  const select = h("select", { class: "fw-input fw-select fw-size-preset", "aria-label": node.label });
  select.append(...presets.map((p) => h("option", { value: p.value }, p.width ? `${p.label} · ${p.width} × ${p.height}` : p.label)));
  if (node.custom) select.append(h("option", { value: CUSTOM }, "Custom"));
  const w = h("input", { type: "number", class: "fw-input fw-number fw-size-w", min: 1, step: 1, "aria-label": "Width" });
  const hh = h("input", { type: "number", class: "fw-input fw-number fw-size-h", min: 1, step: 1, "aria-label": "Height" });
  const custom = h("div", { class: "fw-size-custom", hidden: true }, w, h("span", { class: "fw-muted" }, "×"), hh, h("span", { class: "fw-muted" }, "px"));
  let last = { width: 1024, height: 768 };
  const setCustom = () => bind.set({ width: Number(w.value), height: Number(hh.value) });
  w.addEventListener("input", setCustom);
  hh.addEventListener("input", setCustom);
  select.addEventListener("change", () => {
    if (select.value === CUSTOM) {
      w.value = last.width;
      hh.value = last.height;
      custom.hidden = false;
      setCustom();
    } else {
      const p = presets.find((x) => x.value === select.value);
      if (p && p.width) last = { width: p.width, height: p.height };
      custom.hidden = true;
      bind.set(select.value);
    }
  });
  const update = () => {
    const v = bind.get();
    if (v && typeof v === "object") {
      select.value = CUSTOM;
      custom.hidden = false;
      if (Number(w.value) !== v.width) w.value = v.width ?? "";
      if (Number(hh.value) !== v.height) hh.value = v.height ?? "";
      last = { width: v.width, height: v.height };
    } else {
      select.value = typeof v === "string" ? v : presets[0]?.value ?? "";
      custom.hidden = true;
      const p = presets.find((x) => x.value === v);
      if (p && p.width) {
        last = { width: p.width, height: p.height };
        w.value = p.width;
        hh.value = p.height;
      }
    }
  };
  return { el: h("div", { class: "fw-size" }, select, custom), update, focus: () => select.focus() };
}

const hex = (n) => Math.max(0, Math.min(255, Number(n) || 0)).toString(16).padStart(2, "0");

function color(node, bind) {
  const input = h("input", { type: "color", class: "fw-color", "aria-label": node.label });
  const text = h("code", { class: "fw-muted" });
  input.addEventListener("input", () => {
    const s = input.value;
    bind.set({ r: parseInt(s.slice(1, 3), 16), g: parseInt(s.slice(3, 5), 16), b: parseInt(s.slice(5, 7), 16) });
    text.textContent = s;
  });
  const update = () => {
    const v = bind.get() || { r: 0, g: 0, b: 0 };
    input.value = `#${hex(v.r)}${hex(v.g)}${hex(v.b)}`;
    text.textContent = input.value;
  };
  return { el: h("div", { class: "fw-number-row" }, input, text), update, focus: () => input.focus() };
}

function jsonEditor(node, bind, ctx, asString) {
  const area = h("textarea", { class: "fw-input fw-json", rows: 3, spellcheck: "false", placeholder: asString ? '{"key": "value"}' : "JSON" });
  area.addEventListener("input", () => {
    const text = area.value;
    if (asString) {
      bind.set(text);
      if (text.trim()) {
        try { JSON.parse(text); ctx.localError(null); } catch (e) { ctx.localError(`Invalid JSON: ${e.message}`); }
      }
      return;
    }
    if (!text.trim()) { ctx.localError(null); return bind.set(undefined); }
    try {
      bind.set(JSON.parse(text));
      ctx.localError(null);
    } catch (e) {
      ctx.localError(`Invalid JSON: ${e.message}`); // not sent: the last valid value stays
    }
  });
  const update = () => {
    if (document.activeElement === area) return;
    const v = bind.get();
    area.value = v === undefined ? "" : asString ? String(v ?? "") : JSON.stringify(v, null, 1);
  };
  return { el: area, update, focus: () => area.focus() };
}

registerControl("image_size", imageSize);
registerControl("color", color);
registerControl("json", (n, b, c) => jsonEditor(n, b, c, false));
registerControl("json_string", (n, b, c) => jsonEditor(n, b, c, true));
