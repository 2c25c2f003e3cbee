// Full-size view of a result image: one overlay per page, Escape or a click outside closes it,
// arrows step through a gallery. Lives on document.body so no cell's overflow clips it; it carries
// inline styles only: in marimo the widget lives in a shadow root whose stylesheet does not reach
// document.body.
import { h, iconButton, icons, safeUrl } from "./dom.js";

let current = null;

export function closeLightbox() {
  if (current) {
    current.remove();
    document.removeEventListener("keydown", onKey, true);
    current = null;
  }
}

let state = { items: [], index: 0, show: () => {} };

function onKey(event) {
  if (!current) return;
  if (event.key === "Escape") closeLightbox();
  else if (event.key === "ArrowRight") state.show(state.index + 1);
  else if (event.key === "ArrowLeft") state.show(state.index - 1);
  else return;
  event.preventDefault();
  event.stopPropagation();
}

function styled(button, extra = {}) {
  Object.assign(button.style, {
    font: "20px system-ui, sans-serif", color: "#fff", background: "rgba(255,255,255,.12)",
    border: "1px solid rgba(255,255,255,.3)", borderRadius: "6px", padding: "2px 12px", cursor: "pointer",
    ...extra,
  });
  return button;
}

export function openLightbox(items, index) {
  closeLightbox();
  const list = items.filter((item) => safeUrl(item.url));
  if (!list.length) return;
  const img = h("img.fw-lb-image", { alt: "", style: { maxWidth: "94vw", maxHeight: "88vh", objectFit: "contain", boxShadow: "0 8px 40px #000a" } });
  const name = h("div.fw-lb-name", { style: { overflow: "hidden", textOverflow: "ellipsis", whiteSpace: "nowrap" } });
  const count = h("div.fw-lb-count");
  const overlay = h(
    "div.fw-lightbox",
    {
      role: "dialog",
      "aria-label": "Image viewer",
      style: {
        position: "fixed", inset: "0", zIndex: "10000", background: "rgba(10,12,16,.92)",
        display: "flex", flexDirection: "column", alignItems: "center", justifyContent: "center",
        gap: "10px", font: "13px system-ui, sans-serif", color: "#eee",
      },
      onclick: (event) => {
        if (event.target === overlay) closeLightbox();
      },
    },
    img,
    h("div.fw-lb-bar", { style: { display: "flex", gap: "16px", alignItems: "center", maxWidth: "94vw" } }, name, count, styled(iconButton(icons.close, "Close (Esc)", closeLightbox, "fw-lb-close"))),
  );
  state = {
    items: list,
    index,
    show(i) {
      state.index = (i + list.length) % list.length;
      const item = list[state.index];
      img.src = safeUrl(item.url);
      name.textContent = item.name || "";
      count.textContent = list.length > 1 ? `${state.index + 1} / ${list.length}` : "";
    },
  };
  if (list.length > 1) {
    overlay.append(
      styled(iconButton(icons.prev, "Previous", (e) => (e.stopPropagation(), state.show(state.index - 1)), "fw-lb-prev"), { position: "absolute", left: "12px", top: "50%" }),
      styled(iconButton(icons.next, "Next", (e) => (e.stopPropagation(), state.show(state.index + 1)), "fw-lb-next"), { position: "absolute", right: "12px", top: "50%" }),
    );
  }
  state.show(Math.min(index, list.length - 1));
  document.body.append(overlay);
  document.addEventListener("keydown", onKey, true);
  current = overlay;
}
