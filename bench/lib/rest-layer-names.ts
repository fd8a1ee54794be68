/** The layers of a REST call that `bench/rest-layers.ts` measures, bottom first (see bench/servers/rest-layer-server.ts). */
export const LAYERS = ["write", "verify", "invoke", "gateway", "listener"] as const;
export type Layer = (typeof LAYERS)[number];

/** What each layer adds to the one below it. */
export const LAYER_ADDS: Record<Layer, string> = {
  write: "writeHead + end of the auth info JSON (bare node:http)",
  verify: "+ cached verify of the Authorization key",
  invoke: "the shared invoker instead: both interceptors, the implementation",
  gateway: "the REST gateway: route, transcoding, headers, call signal, memoized JSON",
  listener: "what keyward serve runs: connect-node, the gateway as its fallback",
};
