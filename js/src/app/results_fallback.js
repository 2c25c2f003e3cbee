// TEMPORARY (remove at merge): a minimal result renderer with the agreed signature, used until
// face-results' js/src/results/render.js is merged. At merge, app.js imports
// renderResults from "../results/render.js" instead and this file is deleted.
import { h, replace } from "../shared/dom.js";

const SAFE = /^(https?:|data:image\/)/i;

function block(b) {
  if (b.kind === "images") {
    const imgs = (b.images || []).filter((i) => typeof i.url === "string" && SAFE.test(i.url));
    return h("div", { class: `fw-gallery${imgs.length > 1 ? " fw-many" : ""}` },
      imgs.map((i) => h("a", { href: i.url, target: "_blank", rel: "noopener noreferrer", class: "fw-result-image" },
        h("img", { src: i.url, alt: "result image", width: i.width || undefined, height: i.height || undefined }))));
  }
  if (b.kind === "json") {
    return h("details", { class: "fw-json-view" }, h("summary", null, "JSON"), h("pre", null, JSON.stringify(b.value, null, 2)));
  }
  return h("pre", null, JSON.stringify(b, null, 2));
}

export function renderResults(container, blocks, ctx) {
  const root = h("div", { class: "fw-results" });
  container.appendChild(root);
  const update = (next) => replace(root, (next || []).map(block));
  update(blocks);
  return { update, destroy: () => root.remove() };
}
