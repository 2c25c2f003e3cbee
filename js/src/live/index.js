// falwidgets live panel (anywidget): prompt / seed / strength controls and the latest realtime
// frame with fps and latency. Every edit updates the synced `value`; Python sends it through the
// realtime socket (latest input wins) and sends each frame back in `frame` (JPEG bytes) or
// `frame_url`. Server text (errors, notes) only ever goes into textContent, never into HTML.
// Colours come from --fw-* variables (the app's theme) with fallbacks for bare JupyterLab/marimo.

const CSS = `
.fw-live { font: 13px/1.4 var(--fw-font, system-ui, sans-serif); color: var(--fw-fg, inherit);
  display: grid; grid-template-columns: minmax(220px, 1fr) minmax(240px, 1.4fr); gap: 12px;
  padding: 10px; border: 1px solid var(--fw-border, #8884); border-radius: var(--fw-radius, 8px);
  background: var(--fw-bg, transparent); }
.fw-live-controls { display: flex; flex-direction: column; gap: 8px; }
.fw-live label { display: flex; flex-direction: column; gap: 3px; font-weight: 600; }
.fw-live textarea, .fw-live input[type=number] { font: inherit; padding: 4px 6px;
  border: 1px solid var(--fw-border, #8886); border-radius: 4px; background: var(--fw-input-bg, transparent);
  color: inherit; }
.fw-live textarea { min-height: 56px; resize: vertical; }
.fw-live-row { display: flex; gap: 6px; align-items: center; }
.fw-live-row input[type=number] { flex: 1; }
.fw-live button { font: inherit; cursor: pointer; padding: 3px 8px; border-radius: 4px;
  border: 1px solid var(--fw-border, #8886); background: var(--fw-button-bg, transparent); color: inherit; }
.fw-live-switch { flex-direction: row !important; align-items: center; gap: 6px; font-weight: 600; }
.fw-live-view { display: flex; flex-direction: column; gap: 6px; }
.fw-live-view img { width: 100%; max-width: 512px; aspect-ratio: 1 / 1; object-fit: contain;
  background: var(--fw-muted-bg, #8881); border-radius: 6px; }
.fw-live-stats { font-variant-numeric: tabular-nums; color: var(--fw-muted, #888); }
.fw-live-error { color: var(--fw-danger, #c0392b); white-space: pre-wrap; }
.fw-live-note { color: var(--fw-muted, #888); font-size: 12px; }
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

function setValue(model, name, value) {
  const next = { ...(model.get("value") || {}) };
  next[name] = value;
  model.set("value", next);
  model.save_changes();
}

function promptControl(model, control) {
  const area = el("textarea", { name: control.name, placeholder: "Describe the picture…" });
  area.value = (model.get("value") || {})[control.name] ?? "";
  area.addEventListener("input", () => setValue(model, control.name, area.value));
  return el("label", {}, [control.label || "Prompt", area]);
}

function seedControl(model, control) {
  const input = el("input", { type: "number", name: control.name, step: 1 });
  input.value = (model.get("value") || {})[control.name] ?? "";
  const send = () => {
    const seed = Number.parseInt(input.value, 10);
    if (Number.isFinite(seed)) setValue(model, control.name, seed);
  };
  input.addEventListener("input", send);
  const dice = el("button", { type: "button", title: "Random seed", textContent: "Random" });
  dice.addEventListener("click", () => {
    input.value = String(Math.floor(Math.random() * 2 ** 31));
    send();
  });
  return el("label", {}, [control.label || "Seed", el("div", { className: "fw-live-row" }, [input, dice])]);
}

function sliderControl(model, control) {
  const input = el("input", {
    type: "range", name: control.name, min: control.min, max: control.max, step: control.step,
  });
  input.value = (model.get("value") || {})[control.name] ?? control.default ?? control.min;
  const shown = el("span", { className: "fw-live-stats", textContent: String(input.value) });
  input.addEventListener("input", () => {
    shown.textContent = input.value;
    setValue(model, control.name, Number(input.value));
  });
  return el("label", {}, [control.label || control.name, el("div", { className: "fw-live-row" }, [input, shown])]);
}

const CONTROLS = { prompt: promptControl, seed: seedControl, slider: sliderControl };

function render({ model, el: host }) {
  const root = el("div", { className: "fw-live", dataset: { frames: "0", framePrompt: "" } });
  const controls = el("div", { className: "fw-live-controls" });
  for (const control of model.get("controls") || []) {
    const make = CONTROLS[control.kind];
    if (make) controls.append(make(model, control));
  }
  const toggle = el("input", { type: "checkbox", name: "live" });
  toggle.checked = model.get("live");
  toggle.addEventListener("change", () => {
    model.set("live", toggle.checked);
    model.save_changes();
  });
  controls.append(el("label", { className: "fw-live-switch" }, [toggle, "Live"]));
  controls.append(el("div", { className: "fw-live-note", textContent: model.get("note") || "" }));

  const image = el("img", { alt: "latest frame" });
  const stats = el("div", { className: "fw-live-stats" });
  const error = el("div", { className: "fw-live-error", role: "alert" });
  const view = el("div", { className: "fw-live-view" }, [image, stats, error]);
  root.append(controls, view);
  host.append(el("style", { textContent: CSS }), root);

  let objectUrl = null;
  const showFrame = () => {
    const url = model.get("frame_url");
    const data = model.get("frame");
    let src = url;
    if (!url && data && data.byteLength) {
      const blob = new Blob([data], { type: model.get("frame_mime") || "image/jpeg" });
      src = URL.createObjectURL(blob);
    }
    if (!src) return;
    if (objectUrl) URL.revokeObjectURL(objectUrl);
    objectUrl = src.startsWith("blob:") ? src : null;
    image.src = src;
  };
  const showStats = () => {
    const frames = model.get("frames");
    const fps = model.get("fps");
    const latency = model.get("latency_ms");
    stats.textContent = frames
      ? `${fps.toFixed(1)} fps · ${latency.toFixed(0)} ms latency · ${frames} frames`
      : "No frames yet: edit the prompt";
    root.dataset.frames = String(frames);
    root.dataset.framePrompt = model.get("frame_prompt") || "";
  };
  const showError = () => { error.textContent = model.get("error") || ""; };

  model.on("change:frame", showFrame);
  model.on("change:frame_url", showFrame);
  model.on("change:frames", showStats);
  model.on("change:fps", showStats);
  model.on("change:latency_ms", showStats);
  model.on("change:frame_prompt", showStats);
  model.on("change:error", showError);
  showFrame();
  showStats();
  showError();
  return () => {
    if (objectUrl) URL.revokeObjectURL(objectUrl);
  };
}

export default { render };
