/**
 * The HTTP/1.1 ceiling: a bare `node:http` server answering every request with the same JSON body
 * Keyward's `GET /api/v1/auth_info` returns (given base64 in argv[2], serialized once), nothing else.
 * The bench starts it with the Node flags Keyward runs with; `--processes N` serves from N node:cluster
 * workers, as Keyward's `--workers N` does. Prints `{"http":"http://127.0.0.1:<port>"}` once listening;
 * exits on SIGTERM.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import { processesFromArgv, serveClustered } from "../lib/baseline-cluster.js";

const body = Buffer.from(process.argv[2] ?? "", "base64");
const headers = { "content-type": "application/json", "content-length": body.length };

serveClustered(processesFromArgv(process.argv), (listening) => {
  const server = http.createServer((request, response) => {
    request.resume(); // drain any request body, so the connection stays usable
    response.writeHead(200, headers);
    response.end(body);
  });
  server.listen(0, "127.0.0.1", () => listening({ http: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  process.once("SIGTERM", () => {
    server.closeAllConnections();
    server.close(() => process.exit(0));
  });
});
// The bench holds our stdin open; when it closes, the bench is gone. (A cluster's workers share that
// stdin, so they go too.)
process.stdin.on("end", () => process.exit(0)).resume();
