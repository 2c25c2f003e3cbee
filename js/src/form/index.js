// falwidgets Form: the anywidget front end of falwidgets.widgets.Form (one model per form).
import "../shared/theme.css";
import "./form.css";
import { h } from "../shared/dom.js";
import { loadControls, mountForm } from "./form.js";

export default {
  async render({ model, el, host }) {
    await loadControls(model);
    const form = mountForm(model, { host });
    const root = h("div", { class: "fw fw-form-widget" }, form.el);
    el.appendChild(root);
    return () => form.destroy();
  },
};
