// Control registry: control name (chosen in Python, widgets/_spec_json.py CONTROLS) -> factory.
// A factory is (node, bind, ctx) -> {el, update(), focus?()}: `bind.get()` reads the field's value
// (undefined = not sent), `bind.set(v)` writes it, `update()` redraws from bind.get() in place.
// Custom controls: registerControl("my_control", factory), or an ES module sent from Python.
const CONTROLS = new Map();

export function registerControl(name, factory) {
  if (typeof factory !== "function") throw new TypeError(`control ${name}: factory must be a function`);
  CONTROLS.set(name, factory);
}

export function controlFor(name) {
  return CONTROLS.get(name) || CONTROLS.get("json");
}

/** Full-width controls put their label above a block (objects, lists, files) */
export const BLOCK = new Set(["object", "list", "files", "union"]);
