// falwidgets App: the anywidget front end of falwidgets.runner.App (one model per app).
import "../shared/theme.css";
import "../form/form.css";
import "./app.css";
import { h } from "../shared/dom.js";
import { mountApp } from "./app.js";
import { loadControls } from "../form/form.js";

export default {
  async render({ model, el, host }) {
    await loadControls(model);
    const app = mountApp(model, { host });
    // the wrapper is the size container: the layout follows the cell's width, not the window's
    el.appendChild(h("div", { class: "fw fw-app-wrap" }, app.el));
    return () => app.destroy();
  },
};
