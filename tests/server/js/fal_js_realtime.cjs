// The official JS client's fal.realtime.connect against a falwidgets server or proxy, aimed the
// way fal-platform.md section 5.2 describes: requestMiddleware (or proxyUrl) for the token mint,
// a replaced global WebSocket for the socket. Prints the prompts of the frames it got, as JSON.
// Usage: node [--experimental-websocket on Node < 22] fal_js_realtime.cjs <js dir> <base url> <credentials> [proxy]
const path = require("node:path");
const [jsDir, base, credentials, mode] = process.argv.slice(2);
const { fal } = require(path.join(jsDir, "node_modules", "@fal-ai", "client"));

const socketBase = base.replace(/^http/, "ws") + (mode === "proxy" ? "/" : "/run/");
const Native = globalThis.WebSocket;
globalThis.WebSocket = class extends Native {
  constructor(url, protocols) {
    super(String(url).replace("wss://fal.run/", socketBase), protocols);
  }
};

if (mode === "proxy") {
  fal.config({ credentials, proxyUrl: { url: base, when: "always" } });
} else {
  fal.config({
    credentials,
    requestMiddleware: async (request) => ({
      ...request,
      url: request.url.replace("https://rest.fal.ai", base),
    }),
  });
}

const prompts = [];
const deadline = setTimeout(() => {
  console.error(JSON.stringify({ error: "timeout", prompts }));
  process.exit(3);
}, 20000);
const connection = fal.realtime.connect("fal-ai/fast-lcm-diffusion", {
  throttleInterval: 0,
  onResult(result) {
    prompts.push(result.prompt);
    if (prompts.length < 3) {
      connection.send({ prompt: `js frame ${prompts.length}`, seed: prompts.length });
      return;
    }
    clearTimeout(deadline);
    connection.close();
    const image = result.images[0].url.slice(0, 23);
    console.log(JSON.stringify({ prompts, image }));
    process.exit(0);
  },
  onError(error) {
    console.error(JSON.stringify({ error: String(error && error.message), status: error.status }));
    process.exit(2);
  },
});
connection.send({ prompt: "js frame 0", seed: 0 });
