// falwidgets model browser (anywidget): a search box, category chips and result cards (thumbnail,
// name, id, category, price when known). Typing sets `query` (Python searches its in-memory index,
// or fal's /v1/models when a key is set, and sends `results`); a chip sets `category`; picking a
// card sends {type: "pick", endpoint_id} and Python opens that model's app below, in place.
// Server text only goes into textContent; thumbnail URLs were checked by Python's safe_url.

const CSS = `
.fw-browse { font: 13px/1.4 var(--fw-font, system-ui, sans-serif); color: var(--fw-fg, inherit);
  display: flex; flex-direction: column; gap: 8px; }
.fw-browse-search { font: inherit; padding: 6px 8px; border: 1px solid var(--fw-border, #8886);
  border-radius: 6px; background: var(--fw-input-bg, transparent); color: inherit; width: 100%; box-sizing: border-box; }
.fw-browse-chips { display: flex; flex-wrap: wrap; gap: 4px; }
.fw-browse-chip { font: inherit; font-size: 12px; cursor: pointer; padding: 2px 8px; border-radius: 999px;
  border: 1px solid var(--fw-border, #8886); background: var(--fw-button-bg, transparent); color: inherit; }
.fw-browse-chip[aria-pressed="true"] { background: var(--fw-accent, #3b82f6); color: var(--fw-accent-fg, #fff);
  border-color: var(--fw-accent, #3b82f6); }
.fw-browse-status { color: var(--fw-muted, #888); font-size: 12px; }
.fw-browse-list { display: grid; gap: 8px; grid-template-columns: repeat(auto-fill, minmax(240px, 1fr));
  max-height: 520px; overflow: auto; }
.fw-browse-card { display: grid; grid-template-columns: 56px 1fr; gap: 8px; text-align: left; font: inherit;
  color: inherit; cursor: pointer; padding: 6px; border-radius: var(--fw-radius, 8px);
  border: 1px solid var(--fw-border, #8884); background: var(--fw-bg, transparent); }
.fw-browse-card:hover, .fw-browse-card:focus { border-color: var(--fw-accent, #3b82f6); outline: none; }
.fw-browse-thumb { width: 56px; height: 56px; object-fit: cover; border-radius: 6px; background: var(--fw-muted-bg, #8881); }
.fw-browse-name { font-weight: 600; overflow-wrap: anywhere; }
.fw-browse-id, .fw-browse-meta { color: var(--fw-muted, #888); font-size: 12px; overflow-wrap: anywhere; }
.fw-browse-desc { font-size: 12px; display: -webkit-box; -webkit-line-clamp: 2; -webkit-box-orient: vertical; overflow: hidden; }
`;

const TOP_CHIPS = 10;

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

function card(model, item) {
  let thumb = el("div", { className: "fw-browse-thumb" });
  if (item.thumbnail_url) {
    const img = el("img", { className: "fw-browse-thumb", src: item.thumbnail_url, alt: "", loading: "lazy" });
    img.addEventListener("error", () => img.replaceWith(el("div", { className: "fw-browse-thumb" })));  // offline
    thumb = img;
  }
  const meta = [item.category, item.price || "price unknown"].filter(Boolean).join(" · ");
  const button = el("button", { className: "fw-browse-card", type: "button", dataset: { endpoint: item.endpoint_id } }, [
    thumb,
    el("div", {}, [
      el("div", { className: "fw-browse-name", textContent: item.display_name }),
      el("div", { className: "fw-browse-id", textContent: item.endpoint_id }),
      el("div", { className: "fw-browse-meta", textContent: meta }),
      el("div", { className: "fw-browse-desc", textContent: item.description || "" }),
    ]),
  ]);
  button.addEventListener("click", () => model.send({ type: "pick", endpoint_id: item.endpoint_id }));
  return button;
}

function render({ model, el: root }) {
  root.append(el("style", { textContent: CSS }));
  const search = el("input", { className: "fw-browse-search", type: "search", placeholder: "Search models: flux, upscale video, text to speech…" });
  search.value = model.get("query") || "";
  const chips = el("div", { className: "fw-browse-chips" });
  const status = el("div", { className: "fw-browse-status" });
  const list = el("div", { className: "fw-browse-list" });
  root.append(el("div", { className: "fw-browse" }, [search, chips, status, list]));
  search.addEventListener("input", () => {
    model.set("query", search.value);
    model.save_changes();
  });
  let expanded = false;
  const drawChips = () => {
    const current = model.get("category") || "";
    const categories = model.get("categories") || [];
    // the most common categories first; the long tail behind "More…" (the current one stays)
    const shown = expanded ? categories : categories.filter((c, i) => i < TOP_CHIPS || c[0] === current);
    const all = [["", "All"], ...shown.map((c) => [c[0], `${c[0]} (${c[1]})`])];
    const buttons = all.map(([value, label]) => {
      const chip = el("button", { className: "fw-browse-chip", type: "button", textContent: label, dataset: { category: value } });
      chip.setAttribute("aria-pressed", String(value === current));
      chip.addEventListener("click", () => {
        model.set("category", value === current ? "" : value);
        model.save_changes();
      });
      return chip;
    });
    if (categories.length > TOP_CHIPS) {
      const more = el("button", { className: "fw-browse-chip fw-browse-more", type: "button",
        textContent: expanded ? "Fewer" : `More… (${categories.length - TOP_CHIPS})` });
      more.addEventListener("click", () => { expanded = !expanded; drawChips(); });
      buttons.push(more);
    }
    chips.replaceChildren(...buttons);
  };
  const drawResults = () => {
    status.textContent = model.get("status") || "";
    list.replaceChildren(...(model.get("results") || []).map((item) => card(model, item)));
  };
  model.on("change:results", drawResults);
  model.on("change:status", drawResults);
  model.on("change:categories", drawChips);
  model.on("change:category", drawChips);
  model.on("change:query", () => { if (search.value !== model.get("query")) search.value = model.get("query"); });
  drawChips();
  drawResults();
}

export default { render };
