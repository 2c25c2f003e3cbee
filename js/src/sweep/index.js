// placeholder
export default { render({ el }) { el.textContent = "sweep"; } };
