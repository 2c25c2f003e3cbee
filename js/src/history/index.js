// History of runs (falwidgets.history()): a paged, searchable list fed a page at a time by custom
// messages (the rows are never in the widget state), with Load / Rerun / Compare answering in a
// panel right under the row that was clicked. The same module draws a Comparison widget
// (mode "compare") returned by History.compare() in Python.
import "../shared/theme.css";
import "./history.css";
import { h, safeUrl, seconds } from "../results/dom.js";
import { renderResults } from "../results/render.js";

const STATUS = {
  COMPLETED: ["ok", "Completed"],
  FAILED: ["error", "Failed"],
  CANCELLED: ["muted", "Cancelled"],
  SUBMITTED: ["warn", "In flight"],
};

function statusPill(status) {
  const [tone, text] = STATUS[status] || ["muted", status.toLowerCase()];
  return h(`span.fw-h-status.fw-h-${tone}`, { dataset: { status } }, text);
}

function thumb(row) {
  const t = row.thumb || {};
  const url = safeUrl(t.url);
  if (t.kind === "image" && url) return h("img.fw-h-thumb", { src: url, alt: "", loading: "lazy", decoding: "async" });
  if (t.kind === "video" && url) return h("video.fw-h-thumb", { src: `${url}#t=0.1`, preload: "metadata", muted: true, playsinline: true });
  return h(`div.fw-h-thumb.fw-h-thumb-icon.fw-h-thumb-${t.kind || "none"}`, { title: t.kind || "" }, t.icon || "·");
}

function facts(row) {
  const bits = [row.when];
  if (typeof row.inference === "number") bits.push(`inference ${seconds(row.inference)}`);
  else if (typeof row.duration === "number") bits.push(seconds(row.duration));
  if (row.cost) bits.push(row.cost); // estimated cost (runner/_history_costs.py)
  return bits.filter(Boolean).join(" · ");
}

export function renderCompare(data, ctx) {
  const [a, b] = data.columns || [];
  if (!a || !b) return h("div.fw-r-note", null, "nothing to compare");
  const cleanups = [];
  const head = (col, name) =>
    h("th.fw-h-col", { scope: "col" },
      h("div.fw-h-colhead", null, thumb(col),
        h("div", null, h("b", null, `Run ${name}`), " ", h("code.fw-h-rid", { title: col.id }, col.id.slice(0, 8)),
          h("div.fw-h-sub", null, col.endpoint), h("div.fw-h-sub", null, statusPill(col.status), " ", facts(col)))));
  const diffs = (data.rows || []).filter((r) => r.differs);
  const same = (data.rows || []).filter((r) => !r.differs);
  const cell = (v) => (v === null || v === undefined ? h("i.fw-h-unset", null, "not set") : h("code", null, v));
  const tr = (r) => h(`tr${r.differs ? ".fw-h-diff" : ".fw-h-same"}`, null, h("th", { scope: "row" }, r.path), h("td", null, cell(r.a)), h("td", null, cell(r.b)));
  const table = h(
    "table.fw-h-table",
    null,
    h("thead", null, h("tr", null, h("th", { scope: "col" }, "Input"), head(a, "A"), head(b, "B"))),
    h("tbody", null, diffs.map(tr)),
  );
  const summary = data.same
    ? h("div.fw-h-same-note", null, "Inputs are identical.")
    : h("div.fw-h-same-note", null, `${diffs.length} input${diffs.length === 1 ? "" : "s"} differ`, same.length ? ` · ${same.length} identical` : "");
  let sameBox = null;
  if (same.length) {
    sameBox = h("details.fw-h-identical", null, h("summary", null, `Show the ${same.length} identical input${same.length === 1 ? "" : "s"}`),
      h("table.fw-h-table", null, h("tbody", null, same.map(tr))));
  }
  const outA = h("div.fw-h-out");
  const outB = h("div.fw-h-out");
  const ra = renderResults(outA, a.blocks || [], { ...ctx, dimmed: false, label: null });
  const rb = renderResults(outB, b.blocks || [], { ...ctx, dimmed: false, label: null });
  cleanups.push(() => ra.destroy(), () => rb.destroy());
  const el = h("div.fw-h-compare", null, summary, table, sameBox, h("div.fw-h-outs", null, h("div", null, h("div.fw-h-outhead", null, "Run A"), outA), h("div", null, h("div.fw-h-outhead", null, "Run B"), outB)));
  return { el, destroy: () => cleanups.forEach((fn) => fn()) };
}

function renderDetail(detail, ctx, close) {
  const cleanups = [];
  const body = h("div.fw-h-detail-body");
  const panel = h(
    `div.fw-h-detail.fw-h-detail-${detail.kind || "none"}`,
    { dataset: { kind: detail.kind || "", for: detail.for || "", state: detail.state || "" } },
    h("div.fw-h-detail-head", null, h("b", null, detail.title || ""), detail.state ? h("span.fw-h-detail-state", null, detail.state === "done" ? "Done" : detail.state === "failed" ? "Failed" : `${detail.state}…`) : null,
      h("button.fw-r-btn.fw-h-close", { type: "button", title: "Close", "aria-label": "Close", onclick: close }, "✕")),
    body,
  );
  if (detail.kind === "compare") {
    const c = renderCompare(detail.compare || {}, ctx);
    body.append(c.el);
    cleanups.push(c.destroy);
  } else {
    if (detail.text) body.append(h(detail.kind === "message" ? "div.fw-r-error" : "div.fw-h-detail-text", null, detail.text));
    if (detail.blocks && detail.blocks.length) {
      const r = renderResults(body, detail.blocks, { ...ctx, dimmed: false, label: null });
      cleanups.push(() => r.destroy());
    }
  }
  return { el: panel, destroy: () => cleanups.forEach((fn) => fn()) };
}

function renderList({ model, el, host }) {
  const ctx = { model, host, send: (m) => model.send(m), dimmed: false, label: null };
  const count = h("span.fw-h-count");
  const search = h("input.fw-h-search", { type: "search", placeholder: "Search endpoint, prompt, id, status…", "aria-label": "Search runs" });
  const refresh = h("button.fw-h-refresh", { type: "button", title: "Re-read the journal" }, "Refresh");
  const list = h("div.fw-h-list", { role: "list" });
  const prev = h("button.fw-h-prev", { type: "button" }, "‹ Newer");
  const next = h("button.fw-h-next", { type: "button" }, "Older ›");
  const range = h("span.fw-h-range");
  const root = h("div.fw.fw-h-root", null,
    h("div.fw-h-top", null, h("b.fw-h-title", null, "History"), count, search, refresh),
    list,
    h("div.fw-h-pager", null, prev, range, next));
  el.append(root);

  let seq = 0;
  let offset = 0;
  let query = "";
  let total = 0;
  let rows = [];
  const picked = []; // request ids ticked for Compare (two at most)
  let detail = null; // {el, destroy}

  const pageSize = () => model.get("page_size") || 50;
  const ask = () => {
    seq += 1;
    root.dataset.loading = "1";
    model.send({ type: "rows", offset, limit: pageSize(), query, seq });
  };

  const drawRows = () => {
    if (detail) {
      detail.destroy();
      detail = null;
    }
    const d = model.get("detail") || {};
    const items = [];
    for (const row of rows) {
      const ticked = picked.includes(row.id);
      const box = h("input.fw-h-pick", { type: "checkbox", checked: ticked, "aria-label": "Compare" });
      box.addEventListener("change", () => {
        const at = picked.indexOf(row.id);
        if (box.checked && at < 0) picked.push(row.id);
        if (!box.checked && at >= 0) picked.splice(at, 1);
        while (picked.length > 2) picked.shift();
        if (picked.length === 2 && box.checked) model.send({ type: "compare", a: picked[0], b: picked[1], at: row.id });
        drawRows();
      });
      const rerun = h("button.fw-h-rerun", { type: "button", disabled: !!row.rerun_blocked, title: row.rerun_blocked ? `Cannot rerun: ${row.rerun_blocked}` : "Run these inputs again" }, "Rerun");
      rerun.addEventListener("click", () => model.send({ type: "rerun", id: row.id }));
      const load = h("button.fw-h-load", { type: "button", title: "Put these inputs back into a form" }, "Load");
      load.addEventListener("click", () => model.send({ type: "load", id: row.id }));
      const main = h("div.fw-h-main", null,
        h("div.fw-h-line", null, h("b.fw-h-endpoint", null, row.endpoint), statusPill(row.status), h("span.fw-h-facts", null, facts(row))),
        row.prompt ? h("div.fw-h-prompt", { title: row.prompt }, `“${row.prompt}”`) : null,
        row.params && row.params.length ? h("div.fw-h-params", null, row.params.join(" · ")) : null,
        row.error ? h("div.fw-h-error", { title: row.error }, row.error) : null,
        row.note ? h("div.fw-h-note", null, row.note) : null);
      items.push(
        h(`div.fw-h-row${ticked ? ".fw-h-picked" : ""}`, { role: "listitem", dataset: { id: row.id, status: row.status } },
          thumb(row), main,
          h("div.fw-h-actions", null, load, rerun, h("label.fw-h-cmp", null, box, " Compare"))),
      );
      if (d.for === row.id) {
        detail = renderDetail(d, ctx, () => model.send({ type: "close-detail" }));
        items.push(detail.el);
      }
    }
    if (!rows.length) items.push(h("div.fw-h-empty", null, query ? `No runs match “${query}”.` : "No runs yet: run an app and its requests appear here."));
    list.replaceChildren(...items);
    const first = total ? offset + 1 : 0;
    range.textContent = `${first}–${offset + rows.length} of ${total.toLocaleString()}`;
    prev.disabled = offset <= 0;
    next.disabled = offset + rows.length >= total;
    root.dataset.rows = String(rows.length);
    root.dataset.total = String(total);
  };

  const header = (fresh) => {
    const all = typeof fresh === "number" ? fresh : model.get("total") || 0;
    const pending = model.get("pending_count") || 0;
    count.textContent = `${all.toLocaleString()} run${all === 1 ? "" : "s"}${pending ? ` · ${pending} in flight` : ""}`;
    const costs = model.get("cost_total") || "";
    count.title = costs;
    if (costs) count.textContent += ` · ${costs}`; // estimated total (runner/_history_costs.py)
  };

  const onMsg = (msg) => {
    if (!msg || msg.type !== "rows" || msg.seq !== seq) return; // a stale answer: a newer ask is out
    rows = msg.rows || [];
    total = msg.total || 0;
    if (!query) header(total); // the newest count (runs made elsewhere since the widget opened)
    offset = msg.offset || 0;
    root.dataset.loading = "0";
    if (root.dataset.ready !== "1") root.dataset.readyAt = String(Date.now());
    root.dataset.ready = "1";
    drawRows();
  };
  let timer = null;
  search.addEventListener("input", () => {
    clearTimeout(timer);
    timer = setTimeout(() => {
      query = search.value.trim();
      offset = 0;
      ask();
    }, 200);
  });
  prev.addEventListener("click", () => {
    offset = Math.max(0, offset - pageSize());
    ask();
  });
  next.addEventListener("click", () => {
    offset += pageSize();
    ask();
  });
  refresh.addEventListener("click", () => model.send({ type: "refresh" }));
  const onVersion = () => {
    header();
    ask();
  };
  const onDetail = () => drawRows();
  model.on("msg:custom", onMsg);
  model.on("change:version", onVersion);
  model.on("change:total", header);
  model.on("change:cost_total", header);
  model.on("change:pending_count", header);
  model.on("change:detail", onDetail);
  header();
  ask();
  return () => {
    clearTimeout(timer);
    model.off("msg:custom", onMsg);
    model.off("change:version", onVersion);
    model.off("change:total", header);
    model.off("change:cost_total", header);
    model.off("change:pending_count", header);
    model.off("change:detail", onDetail);
    if (detail) detail.destroy();
    root.remove();
  };
}

function renderComparison({ model, el, host }) {
  const root = h("div.fw.fw-h-root.fw-comparison");
  el.append(root);
  let view = null;
  const draw = () => {
    if (view) view.destroy();
    view = renderCompare(model.get("compare") || {}, { model, host, send: (m) => model.send(m) });
    root.replaceChildren(view.el);
    root.dataset.ready = "1";
  };
  model.on("change:compare", draw);
  draw();
  return () => {
    model.off("change:compare", draw);
    if (view) view.destroy();
    root.remove();
  };
}

export default {
  render(args) {
    return args.model.get("mode") === "compare" ? renderComparison(args) : renderList(args);
  },
};
