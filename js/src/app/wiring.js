// What the app shows besides the form and the run (runner/_app_wiring.py is the Python side):
// - the header's price line and the Run button's estimate (`cost` trait);
// - "Use in…" on every image/video/audio/3D result: a short searchable list of endpoints taking
//   that file (`use_in_search` -> `use_in_list`), picking one opens its app pre-filled below
//   the result (`use_in_open` -> `chained`, a child widget);
// - the Live switch of realtime endpoints and the live view: each frame with fps and latency.
// Python owns every rule; this module only draws traits and sends the user's choices.
import { h, replace } from "../shared/dom.js";
import { safeUrl } from "../results/dom.js";
import { renderResults } from "../results/render.js";
import "./wiring.css";

const SEARCH_DELAY_MS = 120;

// result elements drawn by results/render.js -> how to find the file's URL and its media kind
const MEDIA = [
  { sel: ".fw-r-gallery .fw-r-item", kind: "image", url: (el) => attr(el, "img.fw-r-image", "src") },
  { sel: ".fw-r-video-wrap", kind: "video", url: (el) => attr(el, "video", "src") },
  { sel: ".fw-r-audio-wrap", kind: "audio", url: (el) => attr(el, "audio", "src") },
  { sel: ".fw-r-glb", kind: "model3d", url: (el) => attr(el, "a.fw-r-download", "href") },
];

function attr(el, sel, name) {
  const found = el.querySelector(sel);
  return found ? found.getAttribute(name) || "" : "";
}

const KIND_WORD = { image: "image", video: "video", audio: "audio", model3d: "3D model" };

export function mountWiring(model, { host = null, form = null } = {}) {
  const cleanups = [];
  const on = (ev, fn) => {
    model.on(ev, fn);
    cleanups.push(() => model.off(ev, fn));
  };
  const listen = (target, ev, fn) => {
    target.addEventListener(ev, fn);
    cleanups.push(() => target.removeEventListener(ev, fn));
  };

  // -- cost -----------------------------------------------------------------------------------
  const price = h("span", { class: "fw-price fw-muted", title: "Unit price where runs go" });
  const estimate = h("span", { class: "fw-run-estimate", hidden: true });
  const paintCost = () => {
    const c = model.get("cost") || {};
    price.textContent = c.line || "";
    price.hidden = !c.line;
    estimate.textContent = c.estimate ? ` · ${c.estimate}` : "";
    estimate.hidden = !c.estimate;
  };
  on("change:cost", paintCost);

  // -- Live switch and view -------------------------------------------------------------------
  const liveBox = h("input", { type: "checkbox", role: "switch", class: "fw-switch fw-live-toggle" });
  const liveSwitch = h("label", { class: "fw-live-switch", title: "Stream every edit through the realtime endpoint" }, liveBox, " Live");
  liveBox.addEventListener("change", () => model.send({ type: "live", on: liveBox.checked }));
  const liveImg = h("img", { class: "fw-live-image", alt: "live frame" });
  const liveStats = h("div", { class: "fw-live-stats fw-muted", "aria-live": "off" });
  const liveError = h("div", { class: "fw-live-error", role: "alert", hidden: true });
  const liveView = h("div", { class: "fw-live-view", hidden: true }, liveImg, liveStats, liveError);
  let liveObjectUrl = null;
  const paintLive = () => {
    const lv = model.get("live") || {};
    liveSwitch.hidden = !lv.available;
    liveBox.checked = !!lv.on;
    liveView.hidden = !lv.on;
    liveView.dataset.frames = String(lv.frames || 0);
    liveView.dataset.prompt = lv.prompt || "";
    const bits = [];
    if (lv.on && !lv.frames) bits.push("waiting for the first frame…");
    if (lv.frames) bits.push(`${Number(lv.fps || 0).toFixed(1)} fps`, `${Math.round(lv.latency_ms || 0)} ms`, `frame ${lv.frames}`);
    liveStats.textContent = bits.join(" · ");
    liveError.textContent = lv.error || "";
    liveError.hidden = !lv.error;
  };
  const showBytes = (data, mime) => {
    if (liveObjectUrl) URL.revokeObjectURL(liveObjectUrl);
    liveObjectUrl = URL.createObjectURL(new Blob([data], { type: mime || "image/jpeg" }));
    liveImg.src = liveObjectUrl;
  };
  const paintFrame = () => {
    const url = safeUrl(model.get("live_url") || "");
    if (url) liveImg.src = url;
  };
  on("change:live", paintLive);
  // while Live is on every keystroke reaches Python at once (the form's usual sync waits for a
  // pause in typing); the session sends the latest input only, throttled
  if (form && form.el) {
    listen(form.el, "input", () => {
      if ((model.get("live") || {}).on) form.flush();
    });
  }
  on("change:live_url", paintFrame);
  cleanups.push(() => liveObjectUrl && URL.revokeObjectURL(liveObjectUrl));

  const headerSlot = h("span", { class: "fw-header-extras" }, price, liveSwitch);

  // -- Use in… --------------------------------------------------------------------------------
  const search = h("input", { type: "search", class: "fw-usein-search", placeholder: "Search endpoints…", "aria-label": "Search endpoints" });
  const list = h("ul", { class: "fw-usein-list", role: "listbox" });
  const count = h("div", { class: "fw-usein-count fw-muted" });
  const heading = h("div", { class: "fw-usein-title" });
  const close = h("button", { type: "button", class: "fw-usein-close", title: "Close" }, "×");
  const panel = h("div", { class: "fw-usein-panel", hidden: true }, h("div", { class: "fw-usein-head" }, heading, close), search, count, list);
  const chainedSlot = h("div", { class: "fw-chained" });
  let picking = null; // {url, kind}
  let seq = 0;
  let searchTimer = null;
  let chainedView = null;

  const ask = () => {
    clearTimeout(searchTimer);
    if (!picking) return;
    seq += 1;
    model.send({ type: "use_in_search", kind: picking.kind, q: search.value, seq });
  };
  search.addEventListener("input", () => {
    clearTimeout(searchTimer);
    searchTimer = setTimeout(ask, SEARCH_DELAY_MS);
  });
  search.addEventListener("keydown", (e) => {
    if (e.key === "Enter") {
      const first = list.querySelector("button");
      if (first) first.click();
    } else if (e.key === "Escape") {
      panel.hidden = true;
    }
  });
  close.addEventListener("click", () => { panel.hidden = true; picking = null; });

  const openPicker = (url, kind) => {
    picking = { url, kind };
    heading.textContent = `Use this ${KIND_WORD[kind] || kind} in…`;
    search.value = "";
    replace(list);
    count.textContent = "";
    panel.hidden = false;
    ask();
    search.focus();
  };
  const showList = (msg) => {
    if (!picking || msg.seq !== seq) return; // an answer to an older search
    replace(list, (msg.items || []).map((item) =>
      h("li", null, h("button", {
        type: "button",
        class: "fw-usein-pick",
        dataset: { endpoint: item.endpoint_id },
        title: `${item.endpoint_id} · field ${item.field}`,
        onclick: () => {
          model.send({ type: "use_in_open", url: picking.url, kind: picking.kind, endpoint_id: item.endpoint_id });
          panel.hidden = true;
        },
      }, h("b", null, item.name), " ", h("code", null, item.endpoint_id), item.category ? h("span", { class: "fw-muted" }, ` · ${item.category}`) : null)),
    ));
    const n = msg.count || 0;
    const more = n - (msg.items || []).length;
    count.textContent = `${n} endpoint${n === 1 ? "" : "s"} take${n === 1 ? "s" : ""} this ${KIND_WORD[picking.kind] || picking.kind}${more > 0 ? ` (${more} more: refine the search)` : ""}`;
  };
  const showError = (msg) => {
    panel.hidden = false;
    count.textContent = msg.text || "failed";
  };
  on("msg:custom", (msg, buffers) => {
    if (!msg) return;
    if (msg.type === "live_frame" && buffers && buffers[0]) showBytes(buffers[0], msg.mime);
    else if (msg.type === "use_in_list") showList(msg);
    else if (msg.type === "wiring_error") showError(msg);
  });

  const paintChained = () => {
    const c = model.get("chained") || {};
    if (chainedView) chainedView.destroy();
    chainedView = null;
    replace(chainedSlot);
    chainedSlot.dataset.endpoint = c.endpoint_id || "";
    if (!c.ref) return;
    chainedView = renderResults(chainedSlot, [{ kind: "widget", ref: c.ref, name: c.endpoint_id, label: `Used in ${c.title || c.endpoint_id}` }], { model, host, send: (m) => model.send(m), dimmed: false, label: null, kinds: {} });
  };
  on("change:chained", paintChained);
  cleanups.push(() => chainedView && chainedView.destroy());

  /** Add "Use in…" to every media result in `box` that has none yet (after each redraw). */
  const decorate = (box) => {
    for (const media of MEDIA) {
      for (const el of box.querySelectorAll(media.sel)) {
        if (el.querySelector(".fw-usein-btn")) continue;
        const url = safeUrl(media.url(el));
        if (!url) continue;
        const bar = el.querySelector(".fw-r-actions") || el.querySelector(".fw-r-bar") || el;
        bar.append(h("button", {
          type: "button",
          class: "fw-usein-btn",
          title: `Use this ${KIND_WORD[media.kind]} in another endpoint`,
          onclick: () => openPicker(url, media.kind),
        }, "Use in…"));
      }
    }
  };

  paintCost(); paintLive(); paintFrame(); paintChained();
  return {
    headerSlot,
    estimate,
    liveView,
    panel,
    chainedSlot,
    decorate,
    destroy() {
      clearTimeout(searchTimer);
      for (const fn of cleanups) fn();
    },
  };
}
