// The widget of falwidgets.preview(output): one model whose `blocks` trait (from describe()) is
// drawn by the shared result renderer; `kinds` carries the ES modules of users' block kinds.
import "../shared/theme.css";
import { h } from "../results/dom.js";
import { renderResults } from "../results/render.js";

export default {
  render({ model, el, host }) {
    const root = h("div.fw.fw-preview-widget");
    el.append(root);
    const ctx = () => ({
      model,
      host,
      send: (msg) => model.send(msg),
      dimmed: false,
      label: null,
      kinds: model.get("kinds") || {},
    });
    const view = renderResults(root, model.get("blocks") || [], ctx());
    const redraw = () => view.update(model.get("blocks") || [], ctx());
    model.on("change:blocks", redraw);
    model.on("change:kinds", redraw);
    root.dataset.ready = "1";
    return () => {
      model.off("change:blocks", redraw);
      model.off("change:kinds", redraw);
      view.destroy();
    };
  },
};
