// Sweep grid (falwidgets.sweep()): even columns, captions that ellipsize, every image of a cell,
// "4 ok · 2 failed" with a segmented bar. Cells carry a version `v`; only changed cells are redrawn,
// in slices of a few milliseconds (never one long task), so a 500-point sweep keeps the page
// responsive while it fills.
import "../shared/theme.css";
import "./sweep.css";
import { h, safeUrl } from "../results/dom.js";
import { openLightbox } from "../results/lightbox.js";
import { renderResults } from "../results/render.js";
import { costGate } from "./gate.js";

const SLICE_MS = 8;

function later(fn) {
  // a macrotask so the browser can paint and handle input between slices
  return setTimeout(fn, 0);
}

function drawCell(cell, ctx) {
  const cleanups = [];
  const body = h(`div.fw-s-body.fw-s-${cell.state}`);
  if (cell.state === "done" && cell.images && cell.images.length) {
    const images = cell.images.filter((im) => safeUrl(im.url));
    const wrap = h(`div.fw-s-images${images.length > 1 ? ".fw-s-multi" : ""}`, { dataset: { count: String(images.length) } });
    images.forEach((im, index) => {
      const img = h("img.fw-s-img", { src: safeUrl(im.url), alt: cell.title, loading: "lazy", decoding: "async", title: cell.title, onclick: () => openLightbox(images, index) });
      if (im.width && im.height) img.style.aspectRatio = `${im.width} / ${im.height}`;
      wrap.append(img);
    });
    body.append(wrap);
  } else if (cell.state === "done") {
    const r = renderResults(body, cell.blocks || [], { ...ctx, dimmed: false, label: null });
    cleanups.push(() => r.destroy());
  } else if (cell.error) {
    body.append(
      h("div.fw-s-error", { title: [cell.error.title, cell.error.detail].filter(Boolean).join(": ") },
        h("b", null, cell.error.title),
        cell.error.detail ? h("div.fw-s-detail", null, cell.error.detail) : null,
        cell.error.request_id ? h("code.fw-s-rid", { title: cell.error.request_id }, cell.error.request_id.slice(0, 8)) : null),
    );
  } else {
    body.append(h("div.fw-s-wait", null, cell.state === "running" ? "running…" : cell.state === "queued" ? "queued…" : "waiting…"));
  }
  const el = h(`div.fw-s-cell.fw-s-state-${cell.state}`, { dataset: { i: String(cell.i), state: cell.state } },
    h("div.fw-s-caption", { title: cell.title }, cell.label), body);
  return { el, v: cell.v, destroy: () => cleanups.forEach((fn) => fn()) };
}

function render({ model, el, host }) {
  const ctx = { model, host, send: (m) => model.send(m) };
  const title = h("div.fw-s-title");
  const bar = h("div.fw-s-bar", { role: "img" });
  const summary = h("div.fw-s-summary");
  const cancel = h("button.fw-s-cancel", { type: "button", title: "Stop the sweep (running points are cancelled on the server)" }, "Cancel");
  cancel.addEventListener("click", () => model.send({ type: "cancel" }));
  const grid = h("div.fw-s-grid");
  const gate = costGate(model);
  const root = h("div.fw.fw-s-root", null, h("div.fw-s-top", null, title, h("div.fw-s-progress", null, bar, summary), cancel), gate.el, grid);
  el.append(root);

  const slots = []; // index -> {el, v, destroy}
  const holders = []; // index -> the grid position element to put the cell in
  let queue = [];
  let timer = null;
  let gone = false;

  const layout = () => {
    const spec = model.get("layout_spec") || {};
    const cells = model.get("cells") || [];
    grid.replaceChildren();
    holders.length = 0;
    if (spec.cols && spec.cols.length) {
      grid.classList.add("fw-s-table");
      grid.style.gridTemplateColumns = `minmax(72px, 160px) repeat(${spec.cols.length}, minmax(0, 1fr))`;
      grid.append(h("div.fw-s-corner"));
      for (const col of spec.cols) grid.append(h("div.fw-s-head.fw-s-colhead", { title: col }, col));
      spec.rows.forEach((row, r) => {
        grid.append(h("div.fw-s-head.fw-s-rowhead", { title: row.title }, row.label));
        for (let c = 0; c < spec.cols.length; c++) {
          const holder = h("div.fw-s-slot");
          holders[r * spec.cols.length + c] = holder;
          grid.append(holder);
        }
      });
    } else {
      grid.classList.remove("fw-s-table");
      grid.style.gridTemplateColumns = "";
      for (let i = 0; i < cells.length; i++) {
        const holder = h("div.fw-s-slot");
        holders[i] = holder;
        grid.append(holder);
      }
    }
  };

  const pump = () => {
    timer = null;
    if (gone) return;
    const start = performance.now();
    const cells = model.get("cells") || [];
    while (queue.length && performance.now() - start < SLICE_MS) {
      const i = queue.shift();
      const cell = cells[i];
      if (!cell || !holders[i]) continue;
      const old = slots[i];
      if (old && old.v === cell.v) continue;
      const made = drawCell(cell, ctx);
      if (old) old.destroy();
      holders[i].replaceChildren(made.el);
      slots[i] = made;
    }
    root.dataset.drawn = String(slots.filter(Boolean).length);
    if (queue.length) timer = later(pump);
    else root.dataset.settled = "1";
  };

  const sync = () => {
    const cells = model.get("cells") || [];
    const wanted = [];
    cells.forEach((cell, i) => {
      const old = slots[i];
      if (!old || old.v !== cell.v) wanted.push(i);
    });
    const seen = new Set(queue);
    for (const i of wanted) if (!seen.has(i)) queue.push(i);
    if (queue.length) {
      root.dataset.settled = "0";
      if (!timer) timer = later(pump);
    }
  };

  const counts = () => {
    const c = model.get("counts") || {};
    const total = c.total || 1;
    const parts = [["ok", c.ok], ["failed", c.failed], ["cancelled", c.cancelled], ["running", c.running]];
    bar.replaceChildren(...parts.filter(([, n]) => n).map(([k, n]) => h(`span.fw-s-seg.fw-s-seg-${k}`, { style: { width: `${(100 * n) / total}%` } })));
    const words = [];
    if (c.ok) words.push(`${c.ok} ok`);
    if (c.failed) words.push(`${c.failed} failed`);
    if (c.cancelled) words.push(`${c.cancelled} cancelled`);
    if (c.running) words.push(`${c.running} running`);
    if (c.waiting) words.push(`${c.waiting} waiting`);
    summary.textContent = words.join(" · ") || "starting…";
    bar.setAttribute("aria-label", summary.textContent);
    const finished = !!model.get("finished");
    cancel.disabled = finished;
    root.dataset.finished = finished ? "1" : "0";
    root.dataset.ok = String(c.ok || 0);
    root.dataset.failed = String(c.failed || 0);
  };

  title.textContent = model.get("title") || "";
  layout();
  counts();
  sync();
  root.dataset.ready = "1";
  model.on("change:cells", sync);
  model.on("change:counts", counts);
  model.on("change:finished", counts);
  return () => {
    gone = true;
    gate.destroy();
    clearTimeout(timer);
    model.off("change:cells", sync);
    model.off("change:counts", counts);
    model.off("change:finished", counts);
    for (const slot of slots) if (slot) slot.destroy();
    root.remove();
  };
}

export default { render };
