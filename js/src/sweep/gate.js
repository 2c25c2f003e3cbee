// The cost line of a sweep: "estimated total $0.075 (3 runs)" and, while Python holds the sweep
// above FALWIDGETS_CONFIRM_ABOVE, a Start button that sends {type: "confirm"}. Python owns the rule
// (runner/_gate.CostHold); this only draws the `gate` trait.
import { h } from "../results/dom.js";

export function costGate(model) {
  const line = h("span.fw-s-cost-line");
  const start = h("button.fw-s-cost-start", { type: "button" });
  start.addEventListener("click", () => {
    start.disabled = true; // one click sends once; the trait update re-enables or hides it
    model.send({ type: "confirm" });
  });
  const el = h("div.fw-s-cost", null, line, start);
  const draw = () => {
    const g = model.get("gate") || {};
    line.textContent = [g.line, g.held ? g.hold : ""].filter(Boolean).join(" · ");
    start.textContent = g.start || "Start";
    start.hidden = !g.held;
    start.disabled = false;
    el.dataset.held = g.held ? "1" : "0";
    el.hidden = !g.line;
  };
  draw();
  model.on("change:gate", draw);
  return { el, destroy: () => model.off("change:gate", draw) };
}
