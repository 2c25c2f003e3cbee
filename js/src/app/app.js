// The App shell: fal's Playground around the form. Header; inputs left, a large result pane right
// (stacked below ~900 px of the widget's own width: a container query, not the window's); Run with
// Ctrl/Cmd+Enter, disabled while a submission is being made and while the form has errors (the
// reason is shown); status line, progress bar, collapsible live logs, Cancel; one error banner;
// the previous result dimmed with a label until the new one arrives; Copy code and Try example.
import { h, replace } from "../shared/dom.js";
import { icon } from "../shared/icons.js";
import { mountForm } from "../form/form.js";
import { renderResults } from "../results/render.js";
import { mountWiring } from "./wiring.js";

const CODE_TABS = [
  ["falwidgets", "Python"],
  ["fal_client", "fal_client"],
  ["javascript", "JavaScript"],
  ["curl", "curl"],
];
const PENDING_MS = 15000; // Run stays off this long at most if Python never answers a click
const MIN_OFF_MS = 800; // and at least this long: the second click of a double click is ignored

export function mountApp(model, { host = null } = {}) {
  const form = mountForm(model, { host });
  const wiring = mountWiring(model, { host, form }); // cost, Use in…, Live (wiring.js)
  let pending = false;
  let pendingTimer = null;
  let clickedAt = 0;

  // -- header -----------------------------------------------------------------------------
  const header = h("header", { class: "fw-header" });
  const paintHeader = () => {
    const hd = model.get("header") || {};
    replace(header,
      h("div", { class: "fw-title" }, hd.title || "Form"),
      hd.endpoint_id ? h("code", { class: "fw-endpoint-id" }, hd.endpoint_id) : null,
      hd.category ? h("span", { class: "fw-chip" }, hd.category) : null,
      hd.url && /^https:\/\//.test(hd.url) ? h("a", { class: "fw-page-link", href: hd.url, target: "_blank", rel: "noopener noreferrer" }, "Model page ", icon("external")) : null,
      wiring.headerSlot);
  };

  // -- actions ----------------------------------------------------------------------------
  const runButton = h("button", { type: "button", class: "fw-primary fw-run", title: "Run (Ctrl/Cmd+Enter)" }, icon("play"), " Run", wiring.estimate);
  const cancelButton = h("button", { type: "button", class: "fw-cancel", hidden: true }, icon("stop"), " Cancel");
  const exampleButton = h("button", { type: "button", class: "fw-example" }, icon("sparkle"), " Try example");
  const resetButton = h("button", { type: "button", class: "fw-reset", title: "Every field back to its default" }, icon("reset"), " Reset");
  const codeButton = h("button", { type: "button", class: "fw-code-button" }, icon("code"), " Copy code");
  const reason = h("div", { class: "fw-run-reason", "aria-live": "polite" });
  const actions = h("div", { class: "fw-actions" },
    h("div", { class: "fw-buttons" }, runButton, cancelButton, exampleButton, resetButton, codeButton), reason);

  const run = () => {
    if (runButton.disabled || Date.now() - clickedAt < MIN_OFF_MS) return;
    clickedAt = Date.now();
    pending = true;
    clearTimeout(pendingTimer);
    pendingTimer = setTimeout(() => { pending = false; paintRun(); }, PENDING_MS);
    paintRun();
    form.flush(); // the value reaches Python before the run message (same channel, in order)
    model.send({ type: "run" });
  };
  runButton.addEventListener("click", run);
  cancelButton.addEventListener("click", () => model.send({ type: "cancel" }));
  exampleButton.addEventListener("click", () => { form.flush(); model.send({ type: "example" }); });
  resetButton.addEventListener("click", () => { form.flush(); model.send({ type: "reset" }); });

  // -- code panel -------------------------------------------------------------------------
  const codePre = h("pre", { class: "fw-code" });
  const tabs = h("div", { class: "fw-tabs", role: "tablist" });
  const copy = h("button", { type: "button", class: "fw-copy" }, icon("copy"), " Copy");
  const codePanel = h("div", { class: "fw-code-panel", hidden: true },
    h("div", { class: "fw-code-head" }, tabs, copy,
      h("button", { type: "button", class: "fw-icon-button", "aria-label": "Close", onclick: () => { codePanel.hidden = true; } }, icon("x"))),
    codePre);
  let snippets = {};
  let tab = "falwidgets";
  const paintCode = () => {
    replace(tabs, CODE_TABS.map(([k, label]) => h("button", { type: "button", role: "tab", class: `fw-tab${k === tab ? " fw-active" : ""}`, "aria-selected": String(k === tab), onclick: () => { tab = k; paintCode(); } }, label)));
    codePre.textContent = snippets[tab] || "";
  };
  codeButton.addEventListener("click", () => { form.flush(); model.send({ type: "code" }); });
  copy.addEventListener("click", async () => {
    try {
      await navigator.clipboard.writeText(codePre.textContent);
      copy.lastChild.textContent = " Copied";
    } catch {
      const range = document.createRange();
      range.selectNodeContents(codePre);
      const sel = window.getSelection();
      sel.removeAllRanges();
      sel.addRange(range);
      copy.lastChild.textContent = " Press Ctrl+C";
    }
    setTimeout(() => { copy.lastChild.textContent = " Copy"; }, 1500);
  });

  // -- output pane ------------------------------------------------------------------------
  const statusText = h("span", { class: "fw-status-text" });
  const statusDot = h("span", { class: "fw-dot" });
  const requestId = h("code", { class: "fw-request-id" });
  const status = h("div", { class: "fw-status", "aria-live": "polite" }, statusDot, statusText, requestId);
  const bar = h("div", { class: "fw-progress", hidden: true }, h("div"));
  const banner = h("div", { class: "fw-banner", role: "alert", hidden: true });
  const previous = h("div", { class: "fw-previous", hidden: true });
  const resultBox = h("div", { class: "fw-result" });
  const empty = h("div", { class: "fw-empty fw-muted" }, "Results appear here. Fill in the form and press Run (Ctrl/Cmd+Enter).");
  const logLines = h("pre", { class: "fw-log-lines" });
  const logSummary = h("summary", null, "Logs");
  const logs = h("details", { class: "fw-logs", hidden: true }, logSummary, logLines);
  const note = h("div", { class: "fw-note fw-muted" });
  const notice = h("div", { class: "fw-notice", hidden: true });
  // the shared result renderer (previews.describe blocks); `host` composes child widgets (GLB)
  const resultCtx = () => ({ model, host, send: (m) => model.send(m), dimmed: false, label: null, kinds: model.get("kinds") || {} });
  const results = renderResults(resultBox, model.get("result") || [], resultCtx());

  const paintRun = () => {
    const errors = model.get("errors") || [];
    const busy = model.get("busy");
    const why = model.get("disabled_reason") || "";
    const n = new Set(errors.map((e) => String((e.loc || [])[0] ?? ""))).size;
    let text = "";
    if (why) text = why;
    else if (busy || pending) text = "Submitting…";
    else if (errors.length) text = `Fix ${n} field${n === 1 ? "" : "s"} to run`;
    runButton.disabled = Boolean(why || busy || pending || errors.length);
    reason.textContent = text;
    reason.hidden = !text;
    notice.hidden = !why;
    notice.textContent = why;
  };
  const paintStatus = () => {
    const st = model.get("status") || {};
    status.hidden = !st.state;
    status.dataset.state = st.state || "";
    statusText.textContent = st.text || "";
    requestId.textContent = st.request_id ? `request ${st.request_id}` : "";
    const running = ["submitting", "queued", "running", "cancelling"].includes(st.state);
    cancelButton.hidden = !running;
    const p = typeof st.progress === "number" ? st.progress : null;
    bar.hidden = !(running && p !== null);
    bar.firstChild.style.width = p === null ? "0" : `${Math.round(p * 100)}%`;
  };
  const paintBanner = () => {
    const b = model.get("banner") || {};
    banner.hidden = !b.title;
    replace(banner,
      h("div", { class: "fw-banner-title" }, icon("alert"), " ", b.title || ""),
      b.detail ? h("div", { class: "fw-banner-detail" }, b.detail) : null,
      b.request_id ? h("div", { class: "fw-banner-id" }, "Request id ", h("code", null, b.request_id)) : null);
  };
  const paintLogs = () => {
    const lines = model.get("logs") || [];
    logs.hidden = !lines.length;
    logLines.textContent = lines.map((l) => l.message).join("\n");
    const last = lines.length ? lines[lines.length - 1].message : "";
    replace(logSummary, `Logs · ${lines.length} line${lines.length === 1 ? "" : "s"}`, last ? h("span", { class: "fw-log-last fw-muted" }, ` — ${last}`) : null);
    if (logs.open) logLines.scrollTop = logLines.scrollHeight;
  };
  const paintResult = () => {
    const blocks = model.get("result") || [];
    results.update(blocks, resultCtx());
    wiring.decorate(resultBox);
    empty.hidden = blocks.length > 0;
  };
  const paintPrevious = () => {
    const label = model.get("previous") || "";
    previous.hidden = !label;
    previous.textContent = label;
    resultBox.classList.toggle("fw-stale", Boolean(label));
  };
  const paintNote = () => { note.textContent = model.get("note") || ""; };

  const inputs = h("section", { class: "fw-inputs", "aria-label": "Inputs" }, form.el, actions);
  const output = h("section", { class: "fw-output", "aria-label": "Result" }, status, bar, banner, previous, wiring.liveView, empty, resultBox, wiring.panel, logs, note, wiring.chainedSlot);
  const el = h("div", { class: "fw-app" }, header, notice, codePanel, h("div", { class: "fw-body" }, inputs, output));
  el.addEventListener("keydown", (e) => {
    if (e.key === "Enter" && (e.ctrlKey || e.metaKey)) {
      e.preventDefault();
      run();
    }
  });

  const clearPending = () => {
    const wait = MIN_OFF_MS - (Date.now() - clickedAt);
    clearTimeout(pendingTimer);
    if (wait > 0) pendingTimer = setTimeout(clearPending, wait);
    else pending = false;
    paintRun();
  };
  const handlers = {
    "change:header": paintHeader,
    "change:errors": clearPending,
    "change:busy": clearPending,
    "change:disabled_reason": paintRun,
    "change:status": () => { paintStatus(); },
    "change:banner": () => { paintBanner(); clearPending(); },
    "change:logs": paintLogs,
    "change:result": paintResult,
    "change:kinds": paintResult,
    "change:previous": paintPrevious,
    "change:note": paintNote,
    "msg:custom": (msg) => {
      if (msg && msg.type === "code") {
        snippets = msg.snippets || {};
        codePanel.hidden = false;
        paintCode();
      }
    },
  };
  for (const [ev, fn] of Object.entries(handlers)) model.on(ev, fn);
  paintHeader(); paintRun(); paintStatus(); paintBanner(); paintLogs(); paintResult(); paintPrevious(); paintNote();
  el.dataset.ready = "1";

  return {
    el,
    destroy() {
      for (const [ev, fn] of Object.entries(handlers)) model.off(ev, fn);
      clearTimeout(pendingTimer);
      results.destroy();
      wiring.destroy();
      form.destroy();
    },
  };
}
