/**
 * One layer of the REST call, served on its own so `bench/rest-layers.ts` can measure what each layer
 * adds (server CPU per request). Every layer answers `GET` with the same auth info JSON the gateway
 * writes for the caller's key, built once at startup, except `gateway` and `listener`, which build and
 * write it themselves:
 *
 * - `write`: nothing but writing that JSON with the gateway's headers (`writeJson`: `writeHead`, `end`);
 * - `verify`: plus the cached verification of the `Authorization` key (`ApiKeyVerifier.verify`);
 * - `invoke`: the key through the shared invoker instead (both interceptors, GetAuthInfo's implementation);
 * - `gateway`: the HTTP port's handler (`keywardHttpPort`: the route table `keyward serve` serves, whose
 *   last route is the REST gateway: route match, transcoding, headers, call signal, JSON writer);
 * - `listener`: that handler behind `keyward serve`'s HTTP listener with its settings (`startHttpPort`:
 *   drain tracking, connection caps, timeouts), without the gRPC listener beside it.
 *
 * The SQLite store in the data dir (argv[3]) gets its first admin; the key is in `<data dir>/admin.key`.
 * argv[4] says where Keyward's code comes from: `dist` (the tsc build) or `src` (through tsx).
 * Prints `{"http":"http://127.0.0.1:<port>"}` once listening; exits when stdin closes or on SIGTERM.
 */
import { create } from "@bufbuild/protobuf";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import type { CallEnd } from "../../src/transport/call-init.js";
import { buildInProcessKeyward } from "../lib/in-process-keyward.js";
import { keywardModule } from "../lib/keyward-module.js";
import { LAYERS, type Layer } from "../lib/rest-layer-names.js";

type Handler = (request: http.IncomingMessage, response: http.ServerResponse) => void | Promise<void>;

/** The call end of the `invoke` layer, which never aborts (the client stays for the whole load). */
const NEVER: CallEnd = { signal: new AbortController().signal };

async function main(layer: Layer, dataDir: string, built: boolean): Promise<void> {
  const [{ AuthService }, { keywardHttpPort, startHttpPort }, { writeJson }] = await Promise.all([
    keywardModule<typeof import("../../gen/keyward/v1/auth_pb.js")>("gen/keyward/v1/auth_pb", built),
    keywardModule<typeof import("../../src/server/http-port.js")>("src/server/http-port", built),
    keywardModule<typeof import("../../src/http/http-response.js")>("src/http/http-response", built),
  ]);
  const { keyward, config, adminKey: key, logger: silentLogger } = await buildInProcessKeyward(dataDir, built);
  const method = AuthService.method.getAuthInfo;
  const LOOPBACK_PEER = { address: "127.0.0.1", secure: false };
  const invoke = (authorization: string) =>
    keyward.invoker.invoke(method, create(method.input), {
      protocolName: "rest",
      header: new Headers({ authorization }),
      end: NEVER,
      requestMethod: "GET",
      url: "/api/v1/auth_info",
      peer: LOOPBACK_PEER,
    });
  const port = keywardHttpPort(keyward, config, silentLogger);
  // The JSON the gateway writes for this key, as a layer below the gateway would write it.
  const body = await answerJson(port, key);
  const handlers: Record<Exclude<Layer, "listener">, Handler> = {
    write: (_request, response) => writeJson(response, 200, body),
    verify: async (request, response) => {
      await keyward.verifier.verify(bearerKey(request));
      writeJson(response, 200, body);
    },
    invoke: async (request, response) => {
      await invoke(request.headers.authorization ?? "");
      writeJson(response, 200, body);
    },
    gateway: port,
  };
  let url: string;
  let close: () => Promise<void>;
  if (layer === "listener") {
    const listener = await startHttpPort(port, config);
    url = listener.url;
    close = () => listener.shutdown();
  } else {
    const handler = handlers[layer];
    const server = http.createServer((request, response) => {
      void Promise.resolve(handler(request, response)).catch(() => response.destroy());
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    close = () => {
      server.closeAllConnections();
      return new Promise((resolve) => server.close(() => resolve()));
    };
  }
  process.stdout.write(`${JSON.stringify({ http: url })}\n`);
  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    void close()
      .then(() => keyward.close())
      .then(() => process.exit(0));
  };
  process.stdin.on("end", stop).resume();
  process.once("SIGTERM", stop);
}

function bearerKey(request: http.IncomingMessage): string {
  return (request.headers.authorization ?? "").replace(/^Bearer /, "");
}

/** What the gateway answers `GET /api/v1/auth_info` with for `key`, asked in-process once. */
async function answerJson(handler: Handler, key: string): Promise<string> {
  const server = http.createServer((request, response) => void handler(request, response));
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  try {
    const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/auth_info`, {
      headers: { authorization: `Bearer ${key}` },
    });
    if (response.status !== 200) throw new Error(`GET /api/v1/auth_info answered ${response.status}`);
    return await response.text();
  } finally {
    server.closeAllConnections();
    server.close();
  }
}

const [layer, dataDir, from] = process.argv.slice(2);
if (!LAYERS.includes(layer as Layer) || dataDir === undefined || (from !== "dist" && from !== "src")) {
  process.stderr.write(`usage: rest-layer-server.ts <${LAYERS.join("|")}> <data dir> <dist|src>\n`);
  process.exit(2);
}
await main(layer as Layer, dataDir, from === "dist");
