/**
 * The HTTP/1.1 ceiling: a bare `node:http` server answering every request with the same JSON body
 * Keyward's `GET /api/v1/auth_info` returns (given base64 in argv[2], serialized once), nothing else.
 * Prints `{"http":"http://127.0.0.1:<port>"}` once listening; exits on SIGTERM.
 */
import * as http from "node:http";
import type { AddressInfo } from "node:net";

const body = Buffer.from(process.argv[2] ?? "", "base64");
const headers = { "content-type": "application/json", "content-length": body.length };
const server = http.createServer((request, response) => {
  request.resume(); // drain any request body, so the connection stays usable
  response.writeHead(200, headers);
  response.end(body);
});
server.listen(0, "127.0.0.1", () => {
  process.stdout.write(`${JSON.stringify({ http: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
});
// The bench holds our stdin open; when it closes, the bench is gone.
process.stdin.on("end", () => process.exit(0)).resume();
process.once("SIGTERM", () => {
  server.closeAllConnections();
  server.close(() => process.exit(0));
});
