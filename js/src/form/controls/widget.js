// A user's own widget from register_widget, composed with anywidget 0.11: `host.getWidget(ref)`
// draws an anywidget in every host. A stock ipywidget cannot be drawn that way: JupyterLab still
// draws it through its widget manager; marimo cannot draw stock ipywidgets at all, so there the
// field falls back to a JSON box bound to the widget's `value` (through `host.getModel`).
import { h, replace } from "../../shared/dom.js";
import { registerControl } from "./registry.js";

function widget(node, bind, ctx) {
  const slot = h("div", { class: "fw-user-widget", dataset: { ready: "0" } });
  const ref = (ctx.form.model.get("children") || [])[node.widget];
  const host = ctx.form.host;
  const fallback = async (why) => {
    const box = h("input", { type: "text", class: "fw-input fw-json", spellcheck: "false" });
    const note = h("div", { class: "fw-hint fw-muted" }, `This notebook cannot draw this widget (${why}); edit its value as JSON.`);
    replace(slot, box, note);
    slot.dataset.ready = "fallback";
    const show = () => { if (document.activeElement !== box) box.value = JSON.stringify(bind.get() ?? null); };
    box.addEventListener("change", () => {
      try { bind.set(JSON.parse(box.value)); ctx.localError(null); } catch (e) { ctx.localError(`Invalid JSON: ${e.message}`); }
    });
    show();
    ctx.form.model.on("change:value", show);
  };
  (async () => {
    if (!host || !ref) return fallback("no widget host");
    try {
      const child = await host.getWidget(ref);
      await child.render({ el: slot });
      slot.dataset.ready = "1";
    } catch (err) {
      const wm = ctx.form.model.widget_manager;
      if (wm && typeof wm.create_view === "function") {
        try {
          const m = await wm.get_model(ref.replace(/^anywidget:/, ""));
          const view = await wm.create_view(m);
          slot.append(view.el);
          slot.dataset.ready = "view";
          return;
        } catch (_) { /* fall through */ }
      }
      fallback("only anywidgets can be drawn here");
    }
  })();
  // the composed widget syncs with Python itself; Python keeps the form's value in step
  return { el: slot, update() {}, focus: () => slot.querySelector("input, select, textarea, button")?.focus() };
}

registerControl("widget", widget);
