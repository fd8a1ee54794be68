/**
 * The Node gRPC ceiling: a bare @grpc/grpc-js server answering one no-op unary method
 * (`/bench.Noop/Call`, empty request and response, identity serializers), nothing else. It runs in its own
 * process like Keyward does, and the bench starts it with the Node flags Keyward runs with. Channelz is off,
 * as src/transport/grpc-server.ts turns it off for Keyward. `--processes N` serves from N node:cluster
 * workers, as Keyward's `--workers N` does. Prints `{"grpc":"127.0.0.1:<port>"}` once bound; exits on
 * SIGTERM.
 */
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";
import { processesFromArgv, serveClustered } from "../lib/baseline-cluster.js";

export const NOOP_PATH = "/bench.Noop/Call";

const EMPTY = Buffer.alloc(0);
const identity = (bytes: Buffer): Buffer => bytes;
const definition: ServiceDefinition = {
  Call: {
    path: NOOP_PATH,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};
const implementation: UntypedServiceImplementation = {
  Call: (_call: unknown, callback: (error: null, value: Buffer) => void) => callback(null, EMPTY),
};

serveClustered(processesFromArgv(process.argv), (listening) => {
  // The same setting as Keyward's listener: grpc-js keeps channelz counters per call unless told not to.
  const server = new Server({ "grpc.enable_channelz": 0 });
  server.addService(definition, implementation);
  server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, port) => {
    if (error) throw error;
    listening({ grpc: `127.0.0.1:${port}` });
  });
  process.once("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
});
// The bench holds our stdin open; when it closes, the bench is gone.
// (A cluster's workers share that stdin, so they go too.)
process.stdin.on("end", () => process.exit(0)).resume();
