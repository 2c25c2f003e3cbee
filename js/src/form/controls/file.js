// File fields: drop zone + paste URL + browse, a thumbnail/player of the current file, upload state.
// Bytes travel to Python as one binary custom message; Python uploads them (or makes a data URI) and
// writes the URL into `value`, which redraws this control.
import { h, replace } from "../../shared/dom.js";
import { icon } from "../../shared/icons.js";
import { registerControl } from "./registry.js";
import { childBind } from "./containers.js";

const SAFE = /^(https?:|data:)/i;

function kindOf(url, media) {
  const m = /^data:([a-z]+)\//i.exec(url);
  if (m) return m[1].toLowerCase();
  const ext = (url.split(/[?#]/)[0].split(".").pop() || "").toLowerCase();
  if (["png", "jpg", "jpeg", "webp", "gif", "bmp", "avif"].includes(ext)) return "image";
  if (["mp4", "webm", "mov", "mkv"].includes(ext)) return "video";
  if (["mp3", "wav", "ogg", "flac", "m4a"].includes(ext)) return "audio";
  return media === "mask" ? "image" : media || "file";
}

export function filePreview(url, media) {
  if (!url || typeof url !== "string" || !SAFE.test(url)) return null;
  const kind = kindOf(url, media);
  const name = url.startsWith("data:") ? "inline file" : decodeURIComponent(url.split(/[?#]/)[0].split("/").pop() || url);
  if (kind === "image") return h("img", { class: "fw-thumb", src: url, alt: name, loading: "lazy" });
  if (kind === "video") return h("video", { class: "fw-thumb", src: url, controls: true, preload: "metadata" });
  if (kind === "audio") return h("audio", { src: url, controls: true, preload: "metadata" });
  return h("a", { href: url, target: "_blank", rel: "noopener noreferrer" }, name);
}

const ACCEPT = { image: "image/*", mask: "image/*", video: "video/*", audio: "audio/*" };

function file(node, bind, ctx) {
  const picker = h("input", { type: "file", hidden: true, accept: ACCEPT[node.media] || "" });
  const browse = h("button", { type: "button", class: "fw-link fw-browse", onclick: () => picker.click() }, "browse");
  const url = h("input", { type: "url", class: "fw-input fw-url", placeholder: "…or paste a URL", spellcheck: "false" });
  const drop = h("div", { class: "fw-drop", tabindex: 0, role: "button", "aria-label": `Drop a file for ${node.label || "this field"}` },
    icon("upload"), h("span", null, "Drop a file here, paste, or "), browse);
  const preview = h("div", { class: "fw-file-preview" });
  const state = h("div", { class: "fw-upload-state" });
  const clear = h("button", { type: "button", class: "fw-icon-button fw-file-clear", title: "Remove file", "aria-label": "Remove file", hidden: true,
    onclick: () => { bind.set(undefined); ctx.refresh(); } }, icon("x"));
  const send = (f) => {
    if (!f) return;
    f.arrayBuffer().then((buf) => ctx.form.upload(bind.path, f, buf));
  };
  picker.addEventListener("change", () => send(picker.files?.[0]));
  drop.addEventListener("dragover", (e) => { e.preventDefault(); drop.classList.add("fw-over"); });
  drop.addEventListener("dragleave", () => drop.classList.remove("fw-over"));
  drop.addEventListener("drop", (e) => {
    e.preventDefault();
    drop.classList.remove("fw-over");
    const f = e.dataTransfer?.files?.[0];
    if (f) send(f);
    else { const t = e.dataTransfer?.getData("text/uri-list") || e.dataTransfer?.getData("text/plain"); if (t) bind.set(t.trim()); ctx.refresh(); }
  });
  drop.addEventListener("keydown", (e) => { if (e.key === "Enter" || e.key === " ") { e.preventDefault(); picker.click(); } });
  drop.addEventListener("paste", (e) => {
    const f = e.clipboardData?.files?.[0];
    if (f) { e.preventDefault(); send(f); }
  });
  url.addEventListener("change", () => { bind.set(url.value.trim() || undefined); ctx.refresh(); });
  url.addEventListener("input", () => { if (url.value.trim()) bind.set(url.value.trim()); });
  const update = () => {
    let v = bind.get();
    if (v && typeof v === "object") v = v.url;
    const text = typeof v === "string" ? v : "";
    if (document.activeElement !== url) url.value = text.startsWith("data:") ? "" : text;
    url.placeholder = text.startsWith("data:") ? "(uploaded inline as a data URI)" : "…or paste a URL";
    const shown = preview.firstChild?.getAttribute?.("src") || preview.firstChild?.getAttribute?.("href");
    if (shown !== text) replace(preview, filePreview(text, node.media));
    clear.hidden = !text;
    const up = ctx.form.uploadState(bind.path);
    if (up && up.state === "uploading") replace(state, h("span", null, `Uploading ${up.name}…`), h("div", { class: "fw-progress fw-indeterminate" }, h("div")));
    else if (up && up.state === "failed") replace(state, h("span", { class: "fw-error-text" }, `Upload of ${up.name} failed: ${up.error || "unknown error"}`));
    else replace(state);
  };
  const el = h("div", { class: "fw-file" }, h("div", { class: "fw-file-main" }, drop, h("div", { class: "fw-file-side" }, preview, clear)), url, state, picker);
  return { el, update, focus: () => drop.focus() };
}

function files(node, bind, ctx) {
  const list = h("div", { class: "fw-files" });
  let rows = [];
  const value = () => (Array.isArray(bind.get()) ? bind.get() : []);
  const rebuild = () => {
    const n = value().length;
    rows = [];
    for (let i = 0; i <= n; i++) {
      if (node.max_items !== undefined && i >= node.max_items) break;
      const b = childBind(bind, i);
      const item = { ...(node.items || {}), label: i < n ? `${i + 1}` : "Add a file" };
      const inner = file(item, {
        path: b.path,
        get: b.get,
        set: (v) => {
          if (v === undefined) { const arr = [...value()]; arr.splice(i, 1); bind.set(arr); rebuild(); }
          else if (i >= value().length) { bind.set([...value(), v]); rebuild(); }
          else b.set(v);
        },
      }, { ...ctx, refresh: () => { rebuild(); ctx.refresh(); } });
      rows.push(inner);
    }
    replace(list, rows.map((r) => r.el));
    rows.forEach((r) => r.update());
  };
  const update = () => {
    if (rows.length !== value().length + 1) rebuild();
    else rows.forEach((r) => r.update());
  };
  return { el: list, update, focus: () => rows[0]?.focus() };
}

registerControl("file", file);
registerControl("files", files);
