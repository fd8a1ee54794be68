/** The layers of a REST call that `bench/rest-layers.ts` measures, bottom first (see bench/servers/rest-layer-server.ts). */
export const LAYERS = ["write", "verify", "invoke", "gateway", "listener"] as const;
/** One of {@link LAYERS}. */
export type Layer = (typeof LAYERS)[number];

/** What each layer adds to the one below it. */
export const LAYER_ADDS: Record<Layer, string> = {
  write: "node:http writing the auth info JSON with the gateway's headers",
  verify: "+ cached verify of the Authorization key",
  invoke: "the shared invoker instead: both interceptors, the implementation",
  gateway: "the HTTP port's route table, then the REST gateway: route, transcoding, headers, call signal, memoized JSON",
  listener: "keyward serve's HTTP listener with its settings: drain tracking, connection caps, timeouts",
};
