/**
 * The Node gRPC ceiling: a bare @grpc/grpc-js server answering one no-op unary method
 * (`/bench.Noop/Call`, empty request and response, identity serializers), nothing else. It runs in its own
 * process like Keyward does. Prints `{"grpc":"127.0.0.1:<port>"}` once bound; exits on SIGTERM.
 */
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from "@grpc/grpc-js";

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

const server = new Server();
server.addService(definition, implementation);
server.bindAsync("127.0.0.1:0", ServerCredentials.createInsecure(), (error, port) => {
  if (error) throw error;
  process.stdout.write(`${JSON.stringify({ grpc: `127.0.0.1:${port}` })}\n`);
});
// The bench holds our stdin open; when it closes, the bench is gone.
process.stdin.on("end", () => process.exit(0)).resume();
process.once("SIGTERM", () => server.tryShutdown(() => process.exit(0)));
