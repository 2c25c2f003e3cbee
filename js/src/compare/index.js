// falwidgets compare (anywidget): one card per model, side by side, each with its state, time,
// estimated cost, result media, the canonical inputs it could not take, and "Open in app".
// Python owns the runs and sends `cells`; a click sends {type: "open", endpoint_id} back.
// Server text (errors, ids, names) only ever goes into textContent; media URLs were checked by
// Python's safe_url. Colours come from --fw-* variables with fallbacks.

const CSS = `
.fw-compare { font: 13px/1.4 var(--fw-font, system-ui, sans-serif); color: var(--fw-fg, inherit);
  display: flex; flex-direction: column; gap: 8px; }
.fw-compare-summary { color: var(--fw-muted, #888); }
.fw-compare-grid { display: grid; gap: 10px;
  grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); }
.fw-compare-card { border: 1px solid var(--fw-border, #8884); border-radius: var(--fw-radius, 8px);
  padding: 8px; display: flex; flex-direction: column; gap: 6px; background: var(--fw-bg, transparent); }
.fw-compare-title { font-weight: 600; overflow-wrap: anywhere; min-height: 2.8em; }
.fw-compare-id { color: var(--fw-muted, #888); font-size: 12px; overflow-wrap: anywhere; }
.fw-compare-stats { font-variant-numeric: tabular-nums; font-size: 12px; }
.fw-compare-media { display: flex; flex-wrap: wrap; gap: 4px; min-height: 120px;
  align-items: center; justify-content: center; background: var(--fw-muted-bg, #8881); border-radius: 6px; }
.fw-compare-media img, .fw-compare-media video { max-width: 100%; max-height: 260px; border-radius: 4px; }
.fw-compare-error { color: var(--fw-danger, #c0392b); white-space: pre-wrap; font-size: 12px; }
.fw-compare-dropped { color: var(--fw-muted, #888); font-size: 12px; }
.fw-compare-state { text-transform: capitalize; }
.fw-compare button { font: inherit; cursor: pointer; padding: 3px 8px; border-radius: 4px;
  border: 1px solid var(--fw-border, #8886); background: var(--fw-button-bg, transparent); color: inherit; }
`;

function el(tag, props = {}, children = []) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(props)) {
    if (key === "dataset") Object.assign(node.dataset, value);
    else if (key in node) node[key] = value;
    else node.setAttribute(key, value);
  }
  for (const child of children) node.append(child);
  return node;
}

function media(item) {
  if (item.kind === "image") return el("img", { src: item.url, alt: item.name || "result", loading: "lazy" });
  if (item.kind === "video") return el("video", { src: item.url, controls: true, muted: true, loop: true });
  if (item.kind === "audio") return el("audio", { src: item.url, controls: true });
  return el("a", { href: item.url, target: "_blank", rel: "noopener", textContent: item.name || item.url });
}

function card(model, cell) {
  const stats = [cell.state];
  if (cell.elapsed != null) stats.push(`${cell.elapsed.toFixed(1)} s`);
  stats.push(cell.cost || "price unknown");
  const body = el("div", { className: "fw-compare-media" });
  if (cell.media && cell.media.length) for (const item of cell.media) body.append(media(item));
  else body.append(el("span", { className: "fw-compare-state", textContent: cell.state === "done" ? "no media" : `${cell.state}…` }));
  const open = el("button", { className: "fw-compare-open", textContent: "Open in app", type: "button" });
  open.addEventListener("click", () => model.send({ type: "open", endpoint_id: cell.endpoint_id }));
  const children = [
    el("div", { className: "fw-compare-title", textContent: cell.title }),
    el("div", { className: "fw-compare-id", textContent: cell.endpoint_id }),
    el("div", { className: "fw-compare-stats", textContent: stats.join(" · ") }),
    body,
  ];
  if (cell.error) children.push(el("div", { className: "fw-compare-error", textContent: cell.error }));
  if (cell.dropped && cell.dropped.length)
    children.push(el("div", { className: "fw-compare-dropped", textContent: `not taken: ${cell.dropped.join(", ")}` }));
  if (cell.missing && cell.missing.length)
    children.push(el("div", { className: "fw-compare-dropped", textContent: `required, not given: ${cell.missing.join(", ")}` }));
  children.push(open);
  return el("div", { className: "fw-compare-card", dataset: { endpoint: cell.endpoint_id, state: cell.state } }, children);
}

function render({ model, el: root }) {
  root.append(el("style", { textContent: CSS }));
  const summary = el("div", { className: "fw-compare-summary" });
  const grid = el("div", { className: "fw-compare-grid" });
  root.append(el("div", { className: "fw-compare" }, [summary, grid]));
  const draw = () => {
    summary.textContent = model.get("summary") || "";
    grid.replaceChildren(...(model.get("cells") || []).map((cell) => card(model, cell)));
  };
  model.on("change:cells", draw);
  model.on("change:summary", draw);
  draw();
}

export default { render };
