// Leaf controls: text, prompt, number (slider when bounded), seed, boolean, enum, const, hidden.
import { h } from "../../shared/dom.js";
import { icon } from "../../shared/icons.js";
import { registerControl } from "./registry.js";

const ph = (node) => (node.example !== undefined && node.example !== null && typeof node.example !== "object" ? String(node.example) : "");

/** A required text left empty is not sent: Python then says "Field required", not a 422 later. */
const emptyIsMissing = (node, v) => (v === "" && node.required && !node.optional ? undefined : v);

function text(node, bind) {
  const input = h("input", { type: "text", class: "fw-input", placeholder: ph(node), spellcheck: "false" });
  input.addEventListener("input", () => bind.set(emptyIsMissing(node, input.value)));
  const update = () => {
    const v = bind.get();
    const s = v === undefined || v === null ? "" : String(v);
    if (input.value !== s) input.value = s;
  };
  return { el: input, update, focus: () => input.focus() };
}

function grow(area) {
  area.style.height = "auto";
  area.style.height = Math.min(area.scrollHeight + 2, 480) + "px";
}

function prompt(node, bind) {
  const area = h("textarea", { class: "fw-input fw-prompt", rows: 3, placeholder: ph(node) });
  area.addEventListener("input", () => {
    bind.set(emptyIsMissing(node, area.value));
    grow(area);
  });
  const update = () => {
    const v = bind.get();
    const s = v === undefined || v === null ? "" : String(v);
    if (area.value !== s) area.value = s;
    requestAnimationFrame(() => grow(area));
  };
  return { el: area, update, focus: () => area.focus() };
}

function bounds(node) {
  const lo = node.min ?? node.xmin;
  const hi = node.max ?? node.xmax;
  return [lo, hi];
}

/** Local pre-check for instant feedback; Python's `errors` is the authority and replaces it. */
export function numberProblem(node, v) {
  if (node.kind === "integer" && !Number.isInteger(v)) return "Input should be a valid integer";
  if (node.min !== undefined && v < node.min) return `Input should be greater than or equal to ${node.min}`;
  if (node.max !== undefined && v > node.max) return `Input should be less than or equal to ${node.max}`;
  if (node.xmin !== undefined && v <= node.xmin) return `Input should be greater than ${node.xmin}`;
  if (node.xmax !== undefined && v >= node.xmax) return `Input should be less than ${node.xmax}`;
  return null;
}

function number(node, bind, ctx) {
  const [lo, hi] = bounds(node);
  const step = node.step ?? "any";
  const box = h("input", { type: "number", class: "fw-input fw-number", step, placeholder: ph(node) });
  if (node.min !== undefined) box.min = node.min;
  if (node.max !== undefined) box.max = node.max;
  let slider = null;
  if (node.slider && lo !== undefined && hi !== undefined) {
    slider = h("input", { type: "range", class: "fw-slider", min: lo, max: hi, step: node.step ?? (hi - lo) / 100, "aria-label": node.label });
    slider.addEventListener("input", () => {
      box.value = slider.value;
      commit(Number(slider.value));
    });
  }
  const commit = (v) => {
    ctx.localError(Number.isFinite(v) ? numberProblem(node, v) : "Input should be a valid number");
    if (Number.isFinite(v)) bind.set(v);
  };
  box.addEventListener("input", () => {
    if (box.value === "") return ctx.localError(null);
    const v = Number(box.value);
    if (slider && Number.isFinite(v)) slider.value = v;
    commit(v);
  });
  const ends = slider
    ? h("div", { class: "fw-slider-wrap" }, slider,
        h("div", { class: "fw-slider-ends fw-muted" }, h("span", null, String(lo)), h("span", null, String(hi))))
    : null;
  const el = h("div", { class: "fw-number-row" }, ends, box);
  const update = () => {
    const v = bind.get();
    const s = v === undefined || v === null ? "" : String(v);
    if (box.value !== s && !(document.activeElement === box && Number(box.value) === v)) box.value = s;
    if (slider && typeof v === "number") slider.value = v;
  };
  return { el, update, focus: () => box.focus() };
}

function seed(node, bind, ctx) {
  const inner = number({ ...node, slider: false }, bind, ctx);
  const dice = h("button", { type: "button", class: "fw-icon-button fw-seed-random", title: "Random seed", "aria-label": "Random seed",
    onclick: () => { bind.set(Math.floor(Math.random() * 2 ** 31)); inner.update(); ctx.refresh(); } }, icon("dice"));
  return { el: h("div", { class: "fw-number-row" }, inner.el, dice), update: inner.update, focus: inner.focus };
}

function boolean(node, bind) {
  const input = h("input", { type: "checkbox", class: "fw-switch", role: "switch", "aria-label": node.label });
  input.addEventListener("change", () => bind.set(input.checked));
  const update = () => { input.checked = bind.get() === true; };
  return { el: input, update, focus: () => input.focus(), inline: true };
}

function enumControl(node, bind) {
  const select = h("select", { class: "fw-input fw-select" });
  const choices = node.choices || [];
  const placeholder = h("option", { value: "", disabled: true }, "Choose…");
  select.append(placeholder, ...choices.map((c, i) => h("option", { value: String(i) }, c.label)));
  select.addEventListener("change", () => bind.set(choices[Number(select.value)].value));
  const update = () => {
    const v = bind.get();
    const i = choices.findIndex((c) => c.value === v);
    select.value = i < 0 ? "" : String(i);
  };
  return { el: select, update, focus: () => select.focus() };
}

function constControl(node) {
  const el = h("code", { class: "fw-const" }, JSON.stringify(node.const));
  return { el, update() {} };
}

function hidden() {
  return { el: h("span", { hidden: true }), update() {} };
}

function tristate(node, bind) {
  const select = h("select", { class: "fw-input fw-select fw-tristate", "aria-label": node.label },
    h("option", { value: "" }, "Not set"), h("option", { value: "true" }, "Yes"), h("option", { value: "false" }, "No"));
  select.addEventListener("change", () => bind.set(select.value === "" ? undefined : select.value === "true"));
  const update = () => {
    const v = bind.get();
    select.value = v === true ? "true" : v === false ? "false" : "";
  };
  return { el: select, update, focus: () => select.focus() };
}

registerControl("text", text);
registerControl("tristate", tristate);
registerControl("prompt", prompt);
registerControl("number", number);
registerControl("seed", seed);
registerControl("boolean", boolean);
registerControl("enum", enumControl);
registerControl("const", constControl);
registerControl("hidden", hidden);
