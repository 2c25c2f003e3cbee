// The official JS client (@fal-ai/client) streams from a falwidgets server whose streams are cut.
// Usage: node stream_cut.cjs <js/node_modules> <server url>. Prints one JSON line: the events
// read and the error the client reported. A crash (an unhandled rejection) exits non-zero.
const path = require("path");
const { createFalClient } = require(path.join(process.argv[2], "@fal-ai/client"));
const base = process.argv[3];

// every fal host onto the one local server: fal.run under /run, the others at the root
const local = (url) => {
  const parsed = new URL(url);
  return `${base}${parsed.host === "fal.run" ? "/run" : ""}${parsed.pathname}${parsed.search}`;
};
const fal = createFalClient({
  credentials: "local:local",
  requestMiddleware: async (request) => ({ ...request, url: local(request.url) }),
});

(async () => {
  const outcome = { events: 0, error: null };
  try {
    const stream = await fal.stream("fal-ai/flux-krea-lora", {
      input: { prompt: "a castle", num_inference_steps: 8, image_size: "square", seed: 3 },
    });
    // asked for before reading: a cut rejects it while the loop runs, and a rejection nobody
    // awaits yet would end Node (@fal-ai/client 1.10 rejects it at once)
    const done = stream.done();
    done.catch(() => {});
    for await (const event of stream) outcome.events += event ? 1 : 0;
    await done;
  } catch (error) {
    outcome.error = String(error && error.message ? error.message : error);
  }
  console.log(JSON.stringify(outcome));
})();
