// Tiny DOM builder shared by every falwidgets front end. Text always goes in as text nodes
// (never innerHTML), so server text (logs, errors, file names) can never become markup.

/**
 * h("div", {class: "x", dataset: {k: "v"}, onclick: fn, style: {width: "10px"}}, "text", child, [more])
 * Props: `class`, `dataset`, `style` (object), `on<event>` (listener), anything else as attribute
 * (true -> "", false/null/undefined -> omitted) except DOM properties `value`, `checked`, `disabled`,
 * `selected`, `indeterminate`, which are set as properties.
 */
export function h(tag, props, ...children) {
  const el = document.createElement(tag);
  if (props) setProps(el, props);
  append(el, children);
  return el;
}

const PROPERTIES = new Set(["value", "checked", "disabled", "selected", "indeterminate", "multiple"]);

export function setProps(el, props) {
  for (const [key, val] of Object.entries(props)) {
    if (val === undefined) continue;
    if (key === "class") el.className = val || "";
    else if (key === "dataset") Object.assign(el.dataset, val);
    else if (key === "style" && typeof val === "object") Object.assign(el.style, val);
    else if (key.startsWith("on") && typeof val === "function") el.addEventListener(key.slice(2), val);
    else if (PROPERTIES.has(key)) el[key] = val;
    else if (val === false || val === null) el.removeAttribute(key);
    else el.setAttribute(key, val === true ? "" : String(val));
  }
  return el;
}

/** Append strings (as text), nodes and nested arrays; skip null/undefined/false. */
export function append(el, children) {
  for (const child of children) {
    if (child === null || child === undefined || child === false) continue;
    if (Array.isArray(child)) append(el, child);
    else if (child instanceof Node) el.appendChild(child);
    else el.appendChild(document.createTextNode(String(child)));
  }
  return el;
}

/** Replace all children of `el`. */
export function replace(el, ...children) {
  el.replaceChildren();
  return append(el, children);
}

/** Sentence-case a field name: "num_inference_steps" -> "Num inference steps". */
export function humanize(name) {
  const text = String(name).replace(/[_-]+/g, " ").replace(/([a-z])([A-Z])/g, "$1 $2").trim();
  return text ? text[0].toUpperCase() + text.slice(1).toLowerCase() : "";
}
