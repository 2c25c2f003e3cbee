// falwidgets Form front end (work in progress: replaced by the full form in the next commits).
import "../shared/theme.css";
import { h } from "../shared/dom.js";

export default {
  render({ el }) {
    el.appendChild(h("div", { class: "fw fw-form" }, "form"));
  },
};
