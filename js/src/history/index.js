// placeholder
export default { render({ el }) { el.textContent = "history"; } };
