// Thin anywidget entry for falwidgets' GLB viewer.
//
// The three.js bundle (glb_viewer.js, ~630 KB) is not this widget's `_esm`: a synced `_esm` is saved
// in the notebook once per viewer. Instead a viewer asks the kernel for the bundle with a custom
// message (never saved in the notebook), imports it from a blob URL, and every later viewer on the
// page reuses that module. A busy kernel answers late: the viewer says it is waiting, asks once
// more, reports an error status at the deadline, and still draws if the code arrives afterwards.
const KEY = "__falwidgets_glb_bundle__";
const ASK_AGAIN_MS = 8000;
const DEADLINE_MS = 120000;

function sharedEntry(hash) {
  const all = (globalThis[KEY] = globalThis[KEY] || {});
  if (!all[hash]) {
    const entry = { asked: 0, settled: false };
    entry.promise = new Promise((resolve, reject) => {
      entry.resolve = resolve;
      entry.reject = reject;
    });
    all[hash] = entry;
  }
  return all[hash];
}

function deliver(entry, buffer) {
  if (entry.settled) return;
  entry.settled = true;
  const url = URL.createObjectURL(new Blob([buffer], { type: "text/javascript" }));
  import(url)
    .then(entry.resolve, entry.reject)
    .finally(() => URL.revokeObjectURL(url));
}

function render({ model, el }) {
  const entry = sharedEntry(model.get("_bundle_hash") || "dev");
  let cleanup = null;
  let gone = false;
  const timers = [];
  const hold = document.createElement("div");
  hold.className = "fw-glb glb-viewer";
  hold.dataset.status = "loading";
  hold.style.cssText = `height:${Math.max(Number(model.get("height")) || 360, 50)}px;font:12px sans-serif;color:#555`;
  hold.textContent = "loading the 3D viewer…";
  el.appendChild(hold);

  const report = (status) => {
    hold.dataset.status = status;
    hold.textContent = status;
    model.set("status", status);
    model.save_changes();
  };
  const onMsg = (msg, buffers) => {
    if (msg && msg.type === "fw-glb-bundle" && buffers && buffers.length) deliver(entry, buffers[0]);
  };
  const ask = () => {
    entry.asked = Date.now();
    model.send({ type: "fw-glb-bundle?" });
  };
  if (!entry.settled) {
    model.on("msg:custom", onMsg);
    if (Date.now() - entry.asked > ASK_AGAIN_MS) ask();
    timers.push(
      setTimeout(() => {
        if (entry.settled) return;
        hold.textContent = "waiting for the kernel to send the 3D viewer (is it busy?)…";
        ask();
      }, ASK_AGAIN_MS),
      setTimeout(() => {
        if (!entry.settled) report("error:the kernel did not send the viewer code in time");
      }, DEADLINE_MS),
    );
  }
  entry.promise.then(
    (mod) => {
      timers.forEach(clearTimeout);
      model.off("msg:custom", onMsg);
      if (gone) return;
      hold.remove();
      cleanup = mod.default.render({ model, el });
    },
    (err) => {
      timers.forEach(clearTimeout);
      if (!gone) report(`error:${err && err.message ? err.message : err}`);
    },
  );
  return () => {
    gone = true;
    timers.forEach(clearTimeout);
    model.off("msg:custom", onMsg);
    if (cleanup) cleanup();
    hold.remove();
  };
}

export default { render };
