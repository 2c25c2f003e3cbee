// Build every front end of falwidgets with esbuild's JS API: one ES module per entry, offline.
//
// Each entry `src/<name>/index.js` becomes `../src/falwidgets/static/<name>.js` (and `<name>.css` when
// the entry imports CSS). Python reads them with `falwidgets._static.bundle(name)`. The output must be
// deterministic: .ci/run rebuilds and fails when the committed bundles differ.
//   node build.mjs            build all entries
//   node build.mjs form app   build only these
import * as esbuild from "esbuild";
import { fileURLToPath } from "node:url";
import path from "node:path";

const here = path.dirname(fileURLToPath(import.meta.url));
const staticDir = path.join(here, "..", "src", "falwidgets", "static");

/** Entries under src/<name>/index.js. Add yours here (face-results: results, history, sweep ...). */
export const entries = [
  "form",
  "app",
  "live",
  "preview",
  "history",
  "sweep",
  "browse",
  "compare",
  "glb_viewer",
  "glb_loader",
];

const common = {
  bundle: true,
  format: "esm",
  minify: true,
  target: "es2020",
  logLevel: "warning",
  // CSS files are bundled next to the JS; fonts/images are never fetched from a CDN.
  loader: { ".svg": "text" },
};

async function main(argv) {
  const wanted = argv.length ? new Set(argv) : null;
  const jobs = [];
  for (const name of entries) {
    if (wanted && !wanted.has(name)) continue;
    jobs.push(
      esbuild.build({
        ...common,
        absWorkingDir: here,
        entryPoints: [`src/${name}/index.js`],
        outfile: path.join(staticDir, `${name}.js`),
      }),
    );
  }
  await Promise.all(jobs);
}

main(process.argv.slice(2)).catch((err) => {
  console.error(err);
  process.exit(1);
});
