// falwidgets GLB viewer: the anywidget front end of falwidgets.previews._glb.GLBViewer.
//
// Bundled with three.js by esbuild into one ES module (no CDN, works offline). The model comes either
// from the `glb` bytes trait (a DataView) or, when that is empty, from the `url` trait (http(s) or data:
// only). The view is framed on the model's bounding box, lit, rendered on demand and driven by
// OrbitControls; double-click or the reset button reframes. The mouse wheel zooms only after a click
// in the viewer (and until the pointer leaves it), so scrolling the notebook past a model never zooms. Tests read `data-status`, `data-meshes`, `data-vertices` and
// `data-center-pixel` on the root element, and the kernel sees the same status in the `status` trait.
import {
  Box3,
  Color,
  DirectionalLight,
  HemisphereLight,
  PerspectiveCamera,
  PMREMGenerator,
  Scene,
  SRGBColorSpace,
  Vector3,
  WebGLRenderer,
} from "three";
import { OrbitControls } from "three/examples/jsm/controls/OrbitControls.js";
import { RoomEnvironment } from "three/examples/jsm/environments/RoomEnvironment.js";
import { GLTFLoader } from "three/examples/jsm/loaders/GLTFLoader.js";
import { MeshoptDecoder } from "three/examples/jsm/libs/meshopt_decoder.module.js";

// the host's theme (JupyterLab and marimo both set color-scheme): a dark page gets a dark stage
const LIGHT = { background: 0xf4f5f7, text: "#555", button: "background:#fff;color:#222;border:1px solid #bbb" };
const DARK = { background: 0x1e2227, text: "#aab", button: "background:#2a2f36;color:#eee;border:1px solid #555" };
const SAFE_URL = /^(https?:|data:)/i;

/** Copy exactly the bytes a DataView covers: its buffer may be larger than the view. */
function viewToArrayBuffer(view) {
  return view.buffer.slice(view.byteOffset, view.byteOffset + view.byteLength);
}

/** Free GPU memory held by a loaded scene graph. */
function disposeObject(root) {
  root.traverse((node) => {
    if (node.geometry) node.geometry.dispose();
    const materials = Array.isArray(node.material) ? node.material : node.material ? [node.material] : [];
    for (const material of materials) {
      for (const value of Object.values(material)) {
        if (value && value.isTexture) value.dispose();
      }
      material.dispose();
    }
  });
}

/** Place the camera so the whole bounding box is in view, whatever the model's scale or origin. */
function frame(object, camera, controls) {
  const box = new Box3().setFromObject(object);
  if (box.isEmpty()) return;
  const size = box.getSize(new Vector3());
  const center = box.getCenter(new Vector3());
  const radius = Math.max(size.length() / 2, 1e-6);
  const fov = (camera.fov * Math.PI) / 180;
  const fitHeight = radius / Math.sin(fov / 2);
  const fitWidth = fitHeight / Math.max(Math.min(camera.aspect, 1), 1e-3);
  const distance = Math.max(fitHeight, fitWidth) * 1.1;
  const direction = new Vector3(1, 0.8, 1.4).normalize();
  camera.position.copy(center).addScaledVector(direction, distance);
  camera.near = distance / 100;
  camera.far = distance * 100;
  camera.updateProjectionMatrix();
  controls.target.copy(center);
  controls.minDistance = radius * 0.05;
  controls.maxDistance = distance * 20;
  controls.update();
}

function render({ model, el }) {
  const look = getComputedStyle(el).colorScheme === "dark" ? DARK : LIGHT;
  const BACKGROUND = look.background;
  const root = document.createElement("div");
  root.className = "fw-glb glb-viewer";
  root.style.position = "relative";
  root.style.width = "100%";
  root.style.minWidth = "200px";
  const note = document.createElement("div");
  note.className = "fw-glb-note";
  note.style.cssText =
    "position:absolute;left:8px;bottom:6px;font:12px sans-serif;color:" + look.text + ";pointer-events:none";
  root.appendChild(note);
  const hint = document.createElement("div");
  hint.className = "fw-glb-hint";
  hint.textContent = "drag to rotate · click, then scroll to zoom";
  hint.style.cssText =
    "position:absolute;right:8px;bottom:6px;font:11px sans-serif;color:" + look.text + ";pointer-events:none";
  root.appendChild(hint);
  const reset = document.createElement("button");
  reset.type = "button";
  reset.className = "fw-glb-reset";
  reset.textContent = "Reset view";
  reset.title = "Frame the whole model again";
  reset.style.cssText =
    "position:absolute;right:8px;top:8px;font:12px sans-serif;padding:2px 8px;border-radius:4px;" +
    `cursor:pointer;${look.button}`;
  root.appendChild(reset);
  el.appendChild(root);

  const setStatus = (status, text) => {
    root.dataset.status = status;
    note.textContent = text ?? "";
    if (model.get("status") !== status) {
      model.set("status", status);
      model.save_changes();
    }
  };
  const applyHeight = () => {
    root.style.height = `${Math.max(Number(model.get("height")) || 360, 50)}px`;
  };
  applyHeight();
  setStatus("loading", "loading…");

  let renderer;
  try {
    renderer = new WebGLRenderer({ antialias: true, preserveDrawingBuffer: true });
  } catch (err) {
    setStatus(`no-webgl:${err && err.message ? err.message : err}`, "WebGL is not available in this browser");
    return () => root.remove();
  }
  renderer.outputColorSpace = SRGBColorSpace;
  renderer.setPixelRatio(Math.min(window.devicePixelRatio || 1, 2));
  renderer.setClearColor(BACKGROUND, 1);
  renderer.domElement.className = "fw-glb-canvas";
  renderer.domElement.style.display = "block";
  root.insertBefore(renderer.domElement, note);

  const scene = new Scene();
  scene.background = new Color(BACKGROUND);
  // image-based light so PBR (metallic) materials of generated models are not black; plus a
  // key light for shape
  const pmrem = new PMREMGenerator(renderer);
  const environment = pmrem.fromScene(new RoomEnvironment(), 0.04).texture;
  pmrem.dispose();
  scene.environment = environment;
  scene.environmentIntensity = 0.55;
  scene.add(new HemisphereLight(0xffffff, 0x667080, 0.5));
  const key = new DirectionalLight(0xffffff, 1.5);
  key.position.set(3, 5, 4);
  scene.add(key);

  const camera = new PerspectiveCamera(40, 1, 0.01, 1000);
  camera.position.set(2, 2, 3);
  const controls = new OrbitControls(camera, renderer.domElement);
  controls.enableDamping = false;
  // no scroll hijacking: the wheel scrolls the page until the user clicks into the viewer
  controls.enableZoom = false;
  const arm = () => {
    controls.enableZoom = true;
    root.dataset.zoom = "on";
  };
  const disarm = () => {
    controls.enableZoom = false;
    root.dataset.zoom = "off";
  };
  root.dataset.zoom = "off";

  let content = null;
  let generation = 0;
  let disposed = false;

  const draw = () => {
    if (disposed) return;
    renderer.render(scene, camera);
  };
  const resize = () => {
    const width = Math.max(root.clientWidth, 1);
    const height = Math.max(root.clientHeight, 1);
    renderer.setSize(width, height, true);
    camera.aspect = width / height;
    camera.updateProjectionMatrix();
    draw();
  };
  controls.addEventListener("change", draw);

  const centerPixel = () => {
    const gl = renderer.getContext();
    const pixel = new Uint8Array(4);
    gl.readPixels(
      Math.floor(gl.drawingBufferWidth / 2),
      Math.floor(gl.drawingBufferHeight / 2),
      1, 1, gl.RGBA, gl.UNSIGNED_BYTE, pixel,
    );
    return Array.from(pixel).join(",");
  };

  const show = (gltf, mine) => {
    if (mine !== generation || disposed) {
      disposeObject(gltf.scene);
      return;
    }
    if (content) {
      scene.remove(content);
      disposeObject(content);
    }
    content = gltf.scene;
    scene.add(content);
    let meshes = 0;
    let vertices = 0;
    content.traverse((node) => {
      if (node.isMesh) {
        meshes += 1;
        const position = node.geometry && node.geometry.attributes.position;
        vertices += position ? position.count : 0;
      }
    });
    resize();
    frame(content, camera, controls);
    draw();
    root.dataset.meshes = String(meshes);
    root.dataset.vertices = String(vertices);
    root.dataset.centerPixel = centerPixel();
    setStatus(`loaded:${meshes} meshes`, "");
  };
  const fail = (err, mine) => {
    if (mine !== generation || disposed) return;
    const message = err && err.message ? err.message : String(err);
    setStatus(`error:${message}`, `could not load the model: ${message}`);
  };

  const load = () => {
    const mine = ++generation;
    const loader = new GLTFLoader().setMeshoptDecoder(MeshoptDecoder);
    const bytes = model.get("glb");
    const url = model.get("url") || "";
    if (bytes && bytes.byteLength > 0) {
      setStatus("loading", "loading…");
      const buffer = bytes instanceof DataView || ArrayBuffer.isView(bytes) ? viewToArrayBuffer(bytes) : bytes;
      loader.parse(buffer, "", (gltf) => show(gltf, mine), (err) => fail(err, mine));
    } else if (url) {
      if (!SAFE_URL.test(url)) {
        fail(new Error("only http(s) and data: URLs are loaded"), mine);
        return;
      }
      setStatus("loading", "loading…");
      loader.load(url, (gltf) => show(gltf, mine), undefined, (err) => fail(err, mine));
    } else {
      if (content) {
        scene.remove(content);
        disposeObject(content);
        content = null;
      }
      draw();
      setStatus("empty", "no model");
    }
  };

  const observer = new ResizeObserver(() => resize());
  observer.observe(root);
  const reframe = () => {
    if (content) frame(content, camera, controls);
    draw();
  };
  renderer.domElement.addEventListener("dblclick", reframe);
  renderer.domElement.addEventListener("pointerdown", arm);
  root.addEventListener("pointerleave", disarm);
  reset.addEventListener("click", reframe);
  const onHeight = () => {
    applyHeight();
    resize();
  };
  model.on("change:url", load);
  model.on("change:glb", load);
  model.on("change:height", onHeight);
  resize();
  load();

  return () => {
    disposed = true;
    model.off("change:url", load);
    model.off("change:glb", load);
    model.off("change:height", onHeight);
    observer.disconnect();
    renderer.domElement.removeEventListener("dblclick", reframe);
    renderer.domElement.removeEventListener("pointerdown", arm);
    root.removeEventListener("pointerleave", disarm);
    reset.removeEventListener("click", reframe);
    controls.dispose();
    if (content) disposeObject(content);
    environment.dispose();
    renderer.dispose();
    root.remove();
  };
}

export default { render };
