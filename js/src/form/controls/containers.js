// Containers: nested objects (full width), lists (one compact row per item, add/remove/reorder),
// unions (pick the variant, then its control).
import { h, replace } from "../../shared/dom.js";
import { icon } from "../../shared/icons.js";
import { registerControl } from "./registry.js";

export function childBind(bind, key) {
  return {
    path: [...bind.path, key],
    get: () => {
      const parent = bind.get();
      return parent === undefined || parent === null ? undefined : parent[key];
    },
    set: (v) => {
      const parent = bind.get();
      const copy = Array.isArray(parent) ? [...parent] : { ...(parent && typeof parent === "object" ? parent : {}) };
      if (v === undefined && !Array.isArray(copy)) delete copy[key];
      else copy[key] = v;
      bind.set(copy);
    },
  };
}

function object(node, bind, ctx) {
  const rows = (node.properties || []).filter((p) => p.control !== "hidden").map((p) => ctx.child(p, childBind(bind, p.name)));
  const el = h("div", { class: "fw-object" }, rows.map((r) => r.el));
  return { el, update: () => rows.forEach((r) => r.update()), focus: () => rows[0]?.focus() };
}

function emptyOf(node) {
  if (node.initial !== undefined) return structuredClone(node.initial);
  if (node.example !== undefined && node.example !== null) return structuredClone(node.example);
  switch (node.kind) {
    case "object": {
      // a new item starts with its fields' defaults (a LoRA's scale 1.0), like a fresh form
      const out = {};
      for (const p of node.properties || []) if (p.initial !== undefined) out[p.name] = structuredClone(p.initial);
      return out;
    }
    case "array": return [];
    case "boolean": return false;
    case "integer": case "number": return node.min ?? node.xmin ?? 0;
    case "enum": return node.choices?.[0]?.value;
    case "const": return node.const;
    default: return "";
  }
}

function list(node, bind, ctx) {
  const items = h("div", { class: "fw-list-items" });
  const add = h("button", { type: "button", class: "fw-add" }, icon("plus"), " Add");
  const el = h("div", { class: "fw-list" }, items, add);
  let rows = [];
  const value = () => (Array.isArray(bind.get()) ? bind.get() : []);
  const move = (i, d) => {
    const arr = [...value()];
    const j = i + d;
    if (j < 0 || j >= arr.length) return;
    [arr[i], arr[j]] = [arr[j], arr[i]];
    bind.set(arr);
    rebuild();
  };
  const remove = (i) => {
    const arr = [...value()];
    arr.splice(i, 1);
    bind.set(arr);
    rebuild();
  };
  add.addEventListener("click", () => {
    bind.set([...value(), emptyOf(node.items || {})]);
    rebuild();
    rows[rows.length - 1]?.focus();
  });
  const rebuild = () => {
    const arr = value();
    rows = arr.map((_, i) => {
      const itemNode = { ...(node.items || { kind: "any", control: "json" }), label: `${i + 1}`, compact: true, optional: false, required: true };
      const row = ctx.child(itemNode, childBind(bind, i));
      const tools = h("div", { class: "fw-item-tools" },
        h("button", { type: "button", class: "fw-icon-button", title: "Move up", "aria-label": "Move up", disabled: i === 0, onclick: () => move(i, -1) }, icon("up")),
        h("button", { type: "button", class: "fw-icon-button", title: "Move down", "aria-label": "Move down", disabled: i === arr.length - 1, onclick: () => move(i, 1) }, icon("down")),
        h("button", { type: "button", class: "fw-icon-button", title: "Remove", "aria-label": "Remove", onclick: () => remove(i) }, icon("x")));
      row.wrap = h("div", { class: "fw-list-item" }, row.el, tools);
      return row;
    });
    replace(items, rows.map((r) => r.wrap));
    add.disabled = node.max_items !== undefined && arr.length >= node.max_items;
  };
  const update = () => {
    if (rows.length !== value().length) rebuild();
    else rows.forEach((r) => r.update());
  };
  return { el, update, focus: () => (rows[0] ? rows[0].focus() : add.focus()) };
}

function matches(node, v) {
  switch (node.kind) {
    case "string": return typeof v === "string";
    case "integer": return Number.isInteger(v);
    case "number": return typeof v === "number";
    case "boolean": return typeof v === "boolean";
    case "array": return Array.isArray(v);
    case "enum": return (node.choices || []).some((c) => c.value === v);
    case "const": return v === node.const;
    case "object": return v !== null && typeof v === "object" && !Array.isArray(v);
    default: return v !== undefined;
  }
}

function union(node, bind, ctx) {
  const variants = node.variants || [];
  const select = h("select", { class: "fw-input fw-select fw-variant", "aria-label": `${node.label}: kind` });
  select.append(...variants.map((v, i) => h("option", { value: String(i) }, v.label)));
  const slot = h("div", { class: "fw-variant-body" });
  let current = -1;
  let row = null;
  const show = (i) => {
    if (i === current) return row?.update();
    current = i;
    select.value = String(i);
    row = ctx.child({ ...variants[i], label: "", compact: true, optional: false, required: true }, bind);
    replace(slot, row.el);
    row.update();
  };
  select.addEventListener("change", () => {
    const i = Number(select.value);
    if (!matches(variants[i], bind.get())) bind.set(emptyOf(variants[i]));
    show(i);
  });
  const update = () => {
    const v = bind.get();
    let i = variants.findIndex((x) => matches(x, v));
    if (i < 0) i = current >= 0 ? current : 0;
    show(i);
  };
  return { el: h("div", { class: "fw-union" }, variants.length > 1 ? select : null, slot), update, focus: () => select.focus() };
}

registerControl("object", object);
registerControl("list", list);
registerControl("union", union);
export { emptyOf };
