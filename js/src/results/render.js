// The result pane: draws the blocks that falwidgets.previews.describe() sends (agreed interface):
//   renderResults(container, blocks, ctx) -> { update(blocks), destroy() }
//   ctx = { model, send(msg), dimmed: bool, label: string|null, host?, kinds? }
// `host` (anywidget 0.11 composition) draws child widgets (GLB viewer, users' widgets); `kinds`
// maps a user block kind to its ES module source (falwidgets.previews.register_block_kind).
// Blocks whose JSON did not change keep their DOM on update(), so a GLB viewer or a playing video
// survives the next status change, and streamed partials replace each other in place.
import { copyText, h, iconButton, icons, safeUrl } from "./dom.js";
import { openLightbox } from "./lightbox.js";
import "./results.css";

const modules = new Map(); // ES module source -> Promise<module>

function loadKind(source) {
  if (!modules.has(source)) {
    const url = URL.createObjectURL(new Blob([source], { type: "text/javascript" }));
    modules.set(
      source,
      import(/* webpackIgnore: true */ url).finally(() => URL.revokeObjectURL(url)),
    );
  }
  return modules.get(source);
}

function label(text) {
  return text ? h("div.fw-r-label", null, text) : null;
}

function fileActions(file, extra = []) {
  const href = safeUrl(file.download, true);
  const actions = h("div.fw-r-actions");
  for (const button of extra) actions.append(button);
  if (href) {
    actions.append(
      h("a.fw-r-btn.fw-r-download", { href, download: file.name || "", target: "_blank", rel: "noopener", title: `Download ${file.name || ""}`, "aria-label": "Download" }, icons.download),
    );
    if (!href.startsWith("data:")) {
      const copy = iconButton(icons.copy, "Copy URL", async () => {
        const ok = await copyText(href);
        copy.dataset.copied = ok ? "1" : "0";
        copy.title = ok ? "URL copied" : "Copy failed: select the link instead";
      }, "fw-r-copy");
      actions.append(copy);
    }
  }
  return actions;
}

function caption(file) {
  const bits = [file.name, file.width && file.height ? `${file.width}×${file.height}` : "", file.size].filter(Boolean);
  return bits.length ? h("div.fw-r-caption", { title: file.name || "" }, bits.join(" · ")) : null;
}

// -- kinds --------------------------------------------------------------------------------------

function images(block) {
  const items = (block.items || []).filter((item) => safeUrl(item.url));
  if (!items.length) return null;
  const gallery = h(`div.fw-r-gallery.fw-r-n${Math.min(items.length, 4)}`, { dataset: { count: String(items.length) } });
  items.forEach((item, index) => {
    const img = h("img.fw-r-image", {
      src: safeUrl(item.url),
      alt: item.name || "result image",
      loading: "lazy",
      decoding: "async",
      onclick: () => openLightbox(items, index),
    });
    if (item.width && item.height) img.style.aspectRatio = `${item.width} / ${item.height}`;
    const zoom = iconButton(icons.expand, "Open full size", () => openLightbox(items, index), "fw-r-zoom");
    gallery.append(h("figure.fw-r-item", null, img, h("figcaption.fw-r-bar", null, caption(item), fileActions(item, [zoom]))));
  });
  return [label(block.label), gallery];
}

function player(block) {
  const src = safeUrl(block.url);
  if (!src) return null;
  const tag = block.kind === "audio" ? "audio" : "video";
  const media = h(`${tag}.fw-r-${tag}`, { src, controls: true, preload: "metadata" });
  if (tag === "video") {
    media.playsInline = true;
    if (block.width && block.height) media.style.aspectRatio = `${block.width} / ${block.height}`;
    // the real aspect ratio once known (a stretched 16:9 box for a 4:3 video is a defect)
    media.addEventListener("loadedmetadata", () => {
      if (media.videoWidth && media.videoHeight) {
        media.style.aspectRatio = `${media.videoWidth} / ${media.videoHeight}`;
        media.dataset.ready = "1";
      }
    });
  } else {
    media.addEventListener("loadedmetadata", () => (media.dataset.ready = "1"));
  }
  return [label(block.label), h(`div.fw-r-player.fw-r-${tag}-wrap`, null, media, h("div.fw-r-bar", null, caption(block), fileActions(block)))];
}

function glb(block, ctx, cleanups) {
  const slot = h("div.fw-r-glb-slot");
  const links = h("div.fw-r-bar", null, caption(block), fileActions(block));
  const fallback = (why) => {
    slot.replaceChildren(h("div.fw-r-note", null, why));
    slot.dataset.status = "link-only";
  };
  if (block.ref && ctx.host && ctx.host.getWidget) {
    const abort = new AbortController();
    cleanups.push(() => abort.abort());
    ctx.host
      .getWidget(block.ref)
      .then((child) => child.render({ el: slot, signal: abort.signal }))
      .then(() => (slot.dataset.status = "viewer"))
      .catch((err) => fallback(`3D viewer unavailable here (${err && err.message ? err.message : err}); download the model below.`));
  } else {
    fallback("3D preview: download the model below.");
  }
  return [label(block.label), h("div.fw-r-glb", null, slot, links)];
}

function boxes(block) {
  const image = block.image || {};
  const src = safeUrl(image.url);
  if (!src) return null;
  const stage = h("div.fw-r-stage", { dataset: { count: String(block.count || 0) } });
  const img = h("img.fw-r-image", { src, alt: image.name || "detections", onclick: () => openLightbox([image], 0) });
  if (image.width && image.height) img.style.aspectRatio = `${image.width} / ${image.height}`;
  stage.append(img);
  const pct = (v) => `${(Math.min(Math.max(Number(v) || 0, 0), 1) * 100).toFixed(3)}%`;
  for (const box of block.boxes || []) {
    stage.append(
      h("div.fw-r-box", {
        title: box.label,
        style: { left: pct(box.x0), top: pct(box.y0), width: pct(box.x1 - box.x0), height: pct(box.y1 - box.y0) },
      }, h("span.fw-r-box-label", null, box.label)),
    );
  }
  for (const point of block.points || []) {
    stage.append(h("div.fw-r-point", { title: point.label, style: { left: pct(point.x), top: pct(point.y) } }));
  }
  const more = block.more ? h("div.fw-r-note", null, `${block.more} more not drawn`) : null;
  return [label(block.label), h("div.fw-r-boxes", null, stage, more, h("div.fw-r-bar", null, caption(image), fileActions(image)))];
}

function chips(block) {
  const items = block.items || [];
  if (!items.length) return null;
  return h(
    "div.fw-r-chips",
    null,
    items.map((item) =>
      h("span.fw-r-chip", { title: item.name }, h("span.fw-r-chip-name", null, item.name), " ", h("b", null, item.value + (item.unit ? (item.unit === "fps" ? " fps" : ` ${item.unit}`) : ""))),
    ),
  );
}

function json(block) {
  const details = h("details.fw-r-json", { open: !!block.open }, h("summary", null, block.summary || "JSON"), h("pre", null, block.text || ""));
  return details;
}

function files(block) {
  const items = block.items || [];
  if (!items.length) return null;
  return [
    label(block.label),
    h(
      "ul.fw-r-files",
      null,
      items.map((item) => {
        const href = item.blocked ? null : safeUrl(item.download || item.url, true);
        const text = [item.name, item.size].filter(Boolean).join(" · ");
        if (item.blocked) return h("li.fw-r-blocked", { title: "URL not rendered: only http(s) and media data: URLs are" }, text);
        return h("li", null, href ? h("a.fw-r-file", { href, download: item.name || "", target: "_blank", rel: "noopener" }, text) : h("span.fw-r-file", null, text));
      }),
    ),
  ];
}

function text(block) {
  if (!block.text) return null;
  return [label(block.label), h("div.fw-r-text", null, block.text)];
}

function error(block) {
  return h(
    "div.fw-r-error",
    { role: "alert" },
    h("b.fw-r-error-title", null, block.title || "Failed"),
    block.detail ? h("div.fw-r-error-detail", null, block.detail) : null,
    block.request_id ? h("div.fw-r-error-rid", null, "request ", h("code", null, block.request_id)) : null,
  );
}

function html(block) {
  // a user factory's HTML string: set as-is, like ipywidgets' HTML widget did (the factory escapes)
  const div = h("div.fw-r-html");
  div.innerHTML = String(block.html || "");
  return div;
}

function widget(block, ctx, cleanups) {
  const slot = h("div.fw-r-widget", { dataset: { name: block.name || "" } });
  const note = (why) => slot.replaceChildren(h("div.fw-r-note", null, `${block.name || "widget"}: ${why}`));
  const stock = async () => {
    // a stock ipywidget: JupyterLab can still draw it; marimo cannot draw stock widgets at all
    const manager = ctx.model && ctx.model.widget_manager;
    if (!manager || !manager.create_view) throw new Error("this notebook cannot show stock ipywidgets here");
    const child = await manager.get_model(block.ref.replace(/^anywidget:/, ""));
    const view = await manager.create_view(child);
    slot.append(view.el);
    cleanups.push(() => view.remove());
  };
  const draw = async () => {
    if (!block.stock && ctx.host && ctx.host.getWidget) {
      const abort = new AbortController();
      cleanups.push(() => abort.abort());
      const child = await ctx.host.getWidget(block.ref);
      await child.render({ el: slot, signal: abort.signal });
    } else {
      await stock();
    }
    slot.dataset.status = "rendered";
  };
  draw().catch((err) => note(err && err.message ? err.message : String(err)));
  return [label(block.label), slot];
}

function custom(block, ctx, cleanups) {
  const source = ctx.kinds && ctx.kinds[block.kind];
  const slot = h("div.fw-r-custom", { dataset: { kind: block.kind } });
  if (!source) {
    slot.append(h("div.fw-r-note", null, `no renderer for block kind "${block.kind}"`));
    return slot;
  }
  loadKind(source)
    .then((mod) => {
      const done = mod.default && mod.default.render ? mod.default.render(slot, block, ctx) : mod.default(slot, block, ctx);
      if (typeof done === "function") cleanups.push(done);
    })
    .catch((err) => slot.replaceChildren(h("div.fw-r-note", null, `block kind "${block.kind}" failed: ${err && err.message ? err.message : err}`)));
  return slot;
}

function stream(block, ctx, cleanups) {
  const step = block.total ? `step ${block.step}/${block.total}` : `step ${block.step}`;
  const inner = h("div.fw-r-stream-body");
  const nested = renderResults(inner, block.blocks || [], { ...ctx, dimmed: false, label: null });
  cleanups.push(() => nested.destroy());
  return h("div.fw-r-stream", { dataset: { step: String(block.step) } }, h("div.fw-r-stream-head", null, h("span.fw-r-pulse"), `Streaming · ${step}`), inner);
}

const KINDS = { images, video: player, audio: player, glb, boxes, chips, json, files, text, error, html, widget, stream };

/** Register a renderer for a block kind from JS (a front end of your own). */
export function registerKind(kind, fn) {
  KINDS[kind] = fn;
}

function draw(block, ctx) {
  const cleanups = [];
  const fn = KINDS[block && block.kind] || custom;
  let out;
  try {
    out = fn(block, ctx, cleanups);
  } catch (err) {
    out = error({ title: "This part of the result could not be shown", detail: String(err && err.message ? err.message : err) });
  }
  const parts = (Array.isArray(out) ? out : [out]).filter(Boolean);
  if (!parts.length || (parts.length === 1 && parts[0].classList.contains("fw-r-label"))) return null;
  const el = h(`section.fw-r-block.fw-r-kind-${String(block.kind).replace(/[^a-z0-9_-]/gi, "")}`, null, parts);
  return { el, cleanups };
}

export function renderResults(container, blocks, ctx = {}) {
  const root = h("div.fw-results");
  const badge = h("div.fw-r-badge");
  const body = h("div.fw-r-body");
  root.append(badge, body);
  container.append(root);
  let shown = []; // [{key, el, cleanups}]
  let context = { ...ctx };

  const setMeta = () => {
    root.classList.toggle("fw-r-dimmed", !!context.dimmed);
    badge.textContent = context.label || "";
    badge.hidden = !context.label;
  };

  const update = (next, more) => {
    if (more) context = { ...context, ...more };
    setMeta();
    const list = Array.isArray(next) ? next : [];
    const kept = [];
    list.forEach((block, index) => {
      const key = JSON.stringify(block);
      const old = shown[index];
      if (old && old.key === key) {
        kept.push(old);
        shown[index] = null;
        return;
      }
      const made = draw(block, context);
      kept.push(made ? { key, el: made.el, cleanups: made.cleanups } : { key, el: null, cleanups: [] });
    });
    for (const old of shown) if (old) dispose(old);
    body.replaceChildren(...kept.filter((item) => item.el).map((item) => item.el));
    shown = kept;
    root.dataset.blocks = String(kept.filter((item) => item.el).length);
    root.dataset.empty = kept.some((item) => item.el) ? "0" : "1";
  };

  const dispose = (item) => {
    for (const fn of item.cleanups) {
      try {
        fn();
      } catch (_err) {
        /* a child that fails to clean up must not stop the others */
      }
    }
  };

  update(blocks);
  return {
    update,
    destroy() {
      for (const item of shown) if (item) dispose(item);
      shown = [];
      root.remove();
    },
  };
}
