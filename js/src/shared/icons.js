// Inline SVG icons (lucide-like strokes), built with createElementNS: no markup strings, no fonts.
const NS = "http://www.w3.org/2000/svg";

const PATHS = {
  play: ["M6 4l14 8-14 8z"],
  stop: ["M6 6h12v12H6z"],
  x: ["M18 6L6 18", "M6 6l12 12"],
  plus: ["M12 5v14", "M5 12h14"],
  up: ["M12 19V5", "M5 12l7-7 7 7"],
  down: ["M12 5v14", "M19 12l-7 7-7-7"],
  dice: ["M4 4h16v16H4z", "M8.5 8.5h.01", "M15.5 15.5h.01", "M15.5 8.5h.01", "M8.5 15.5h.01"],
  copy: ["M9 9h11v11H9z", "M5 15H4V4h11v1"],
  upload: ["M12 16V4", "M7 9l5-5 5 5", "M4 20h16"],
  link: ["M10 14a4 4 0 0 0 5.7 0l3-3a4 4 0 0 0-5.7-5.7l-1 1", "M14 10a4 4 0 0 0-5.7 0l-3 3a4 4 0 0 0 5.7 5.7l1-1"],
  info: ["M12 22a10 10 0 1 0 0-20 10 10 0 0 0 0 20z", "M12 16v-4", "M12 8h.01"],
  alert: ["M12 2L1 21h22z", "M12 9v5", "M12 17h.01"],
  chevron: ["M9 6l6 6-6 6"],
  external: ["M14 4h6v6", "M20 4l-9 9", "M18 14v6H4V6h6"],
  reset: ["M3 12a9 9 0 1 0 3-6.7", "M3 4v5h5"],
  code: ["M8 7l-5 5 5 5", "M16 7l5 5-5 5"],
  sparkle: ["M12 3l2 6 6 2-6 2-2 6-2-6-6-2 6-2z"],
};

/** An <svg class="fw-icon"> for `name`; `title` gives it an accessible name, else it is hidden. */
export function icon(name, title) {
  const svg = document.createElementNS(NS, "svg");
  svg.setAttribute("viewBox", "0 0 24 24");
  svg.setAttribute("class", "fw-icon");
  if (title) {
    svg.setAttribute("role", "img");
    const t = document.createElementNS(NS, "title");
    t.textContent = title;
    svg.appendChild(t);
  } else {
    svg.setAttribute("aria-hidden", "true");
  }
  for (const d of PATHS[name] || []) {
    const p = document.createElementNS(NS, "path");
    p.setAttribute("d", d);
    svg.appendChild(p);
  }
  return svg;
}
