// Thin anywidget entry for falwidgets' GLB viewer.
//
// The three.js bundle (glb_viewer.js, ~630 KB) is not this widget's `_esm`: a synced `_esm` is saved
// in the notebook once per viewer. Instead the first viewer on a page asks the kernel for the bundle
// with a custom message (never saved in the notebook), imports it from a blob URL, and every later
// viewer on the page reuses that module. Every wait has a deadline.
const KEY = "__falwidgets_glb_bundle__";
const DEADLINE_MS = 30000;

function requestBundle(model) {
  const hash = model.get("_bundle_hash") || "dev";
  const cache = (globalThis[KEY] = globalThis[KEY] || {});
  if (!cache[hash]) {
    cache[hash] = new Promise((resolve, reject) => {
      const onMsg = (msg, buffers) => {
        if (!msg || msg.type !== "fw-glb-bundle") return;
        clearTimeout(timer);
        model.off("msg:custom", onMsg);
        const url = URL.createObjectURL(new Blob([buffers[0]], { type: "text/javascript" }));
        import(url).then(resolve, reject).finally(() => URL.revokeObjectURL(url));
      };
      const timer = setTimeout(() => {
        model.off("msg:custom", onMsg);
        reject(new Error("the kernel did not send the viewer code (is the kernel running?)"));
      }, DEADLINE_MS);
      model.on("msg:custom", onMsg);
      model.send({ type: "fw-glb-bundle?" });
    }).catch((err) => {
      delete cache[hash];
      throw err;
    });
  }
  return cache[hash];
}

function render({ model, el }) {
  let cleanup = null;
  let gone = false;
  const hold = document.createElement("div");
  hold.className = "fw-glb glb-viewer";
  hold.dataset.status = "loading";
  hold.style.cssText = `height:${Math.max(Number(model.get("height")) || 360, 50)}px;font:12px sans-serif;color:#555`;
  hold.textContent = "loading the 3D viewer…";
  el.appendChild(hold);
  requestBundle(model).then(
    (mod) => {
      if (gone) return;
      hold.remove();
      cleanup = mod.default.render({ model, el });
    },
    (err) => {
      if (gone) return;
      const status = `error:${err && err.message ? err.message : err}`;
      hold.dataset.status = status;
      hold.textContent = status;
      model.set("status", status);
      model.save_changes();
    },
  );
  return () => {
    gone = true;
    if (cleanup) cleanup();
    hold.remove();
  };
}

export default { render };
