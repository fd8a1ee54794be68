/**
 * Bounded work per request, before any credential is checked, on the server as
 * `npm start` runs it (its heap limit included): a body of 60,000 unknown fields, 50,000 bad list items
 * or 1,000 unknown query keys is refused at once with a small answer, several at a time, and the server
 * keeps serving; the longest list of violations stays small on every door; and a body over the limit is
 * answered 413, never reset, to a client that is still uploading it.
 *
 * The default body limit (64 KiB) refuses such bodies before they are decoded at all; the server here
 * runs with 1 MiB, as an operator may set it, so the decoder's own bounds are what is tested.
 */
import * as net from "node:net";
import { expect } from "chai";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { SessionRegistry } from "../../gen/keyward/v1/session_pb.js";
import { openDoors, type Doors } from "./support/doors.js";
import { ok } from "./support/fixtures.js";
import { callRaw, type RawDoor } from "./support/raw-doors.js";
import { issuedKeys } from "./support/secret-scan.js";
import { removeDataDir, startServer, viaNpmStart, type ServerProcess } from "./support/server-process.js";
import { reasonOfBody } from "../support/error-reasons.js";

/** The answer `fetch` got, or how it failed. */
async function post(url: string, body: string | Uint8Array, headers: Record<string, string> = { "content-type": "application/json" }) {
  try {
    const response = await fetch(url, { method: "POST", headers, body: typeof body === "string" ? body : Buffer.from(body) });
    const text = await response.text();
    return { status: response.status, text, connection: response.headers.get("connection") };
  } catch (error) {
    return { status: 0, text: String((error as Error).cause ?? error), connection: null };
  }
}

/** Sends headers and `size` body bytes on a raw socket without reading anything until the whole body is out, then reads the answer. */
function uploadThenRead(port: number, path: string, contentType: string, size: number): Promise<string> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    let answer = "";
    socket.pause(); // a busy client: it reads only once it has sent everything
    socket.on("data", (chunk) => (answer += chunk.toString("latin1")));
    socket.on("error", (error: NodeJS.ErrnoException) => resolve(`${error.code}: ${answer}`));
    socket.on("close", () => resolve(answer));
    socket.write(`POST ${path} HTTP/1.1\r\nHost: test\r\nContent-Type: ${contentType}\r\nContent-Length: ${size}\r\n\r\n`);
    const chunk = Buffer.alloc(64 * 1024, 0x20);
    let sent = 0;
    const pump = () => {
      while (sent < size) {
        const piece = chunk.subarray(0, Math.min(chunk.length, size - sent));
        sent += piece.length;
        if (!socket.write(piece)) return void socket.once("drain", pump);
      }
      setTimeout(() => socket.resume(), 200);
    };
    pump();
  });
}

describe("e2e: bounded work per request, under npm start's Node flags", function () {
  this.timeout(120_000);
  let server: ServerProcess;
  let doors: Doors;
  let admin: string;
  before(async () => {
    server = await startServer({ launch: viaNpmStart, args: ["--body-limit", String(1024 * 1024)] });
    doors = openDoors(server.httpUrl, server.grpcAddress);
    admin = server.adminKey();
    issuedKeys.add(admin);
  });
  after(async () => {
    doors.close();
    expect(await server.stop()).to.equal(0);
    removeDataDir(server.dataDir);
  });

  /** The server still answers an ordinary authenticated call. */
  const stillServing = async () => {
    expect(server.child.exitCode, server.output().slice(-2000)).to.equal(null);
    ok(await doors.call("grpc", AuthService.method.getAuthInfo, {}, admin));
  };

  it("answers 60,000 unknown fields (650 KB) in an unauthenticated sign-in 400, small, eight at once, and keeps serving", async () => {
    const body = `{${Array.from({ length: 60_000 }, (_, i) => `"f${i}":1`).join(",")}}`;
    expect(body.length).to.be.greaterThan(640_000);
    const answers = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        i % 2 === 0 ? post(`${server.httpUrl}/api/v1/sessions`, body) : post(`${server.httpUrl}/keyward.v1.SessionRegistry/CreateSession`, body),
      ),
    );
    for (const answer of answers) {
      expect(answer.status, answer.text.slice(0, 300)).to.equal(400);
      expect(answer.text.length).to.be.lessThan(8 * 1024);
      expect(answer.text).to.contain("REQUEST_TOO_COMPLEX");
    }
    await stillServing();
  });

  it("answers 50,000 bad list items and 1,000 unknown query keys 400 with a small error", async () => {
    const ips = JSON.stringify({ rights: ["RIGHT_USER_INFO"], allowedIps: Array.from({ length: 50_000 }, (_, i) => `bad-${i}`) });
    for (const key of [admin, undefined]) {
      const headers: Record<string, string> = { "content-type": "application/json", ...(key ? { authorization: `Bearer ${key}` } : {}) };
      const answer = await post(`${server.httpUrl}/api/v1/users/admin/api-keys`, ips, headers);
      expect(answer.status).to.equal(400);
      expect(reasonOfBody(answer.text)).to.equal("REQUEST_TOO_COMPLEX");
      expect(answer.text.length).to.be.lessThan(8 * 1024);
    }
    const query = Array.from({ length: 1_000 }, (_, i) => `k${i}=1`).join("&");
    const many = await fetch(`${server.httpUrl}/api/v1/users?${query}`, { headers: { authorization: `Bearer ${admin}` } });
    const manyText = await many.text();
    expect(many.status).to.equal(400);
    expect(reasonOfBody(manyText)).to.equal("REQUEST_TOO_COMPLEX");
    expect(manyText.length).to.be.lessThan(8 * 1024);
    await stillServing();
  });

  it("reports at most 20 violations and 'and N more' in an error of under 8 KiB, on every door", async () => {
    // 999 unknown fields with long names: under the field limit, so every one is a violation.
    const fields = Object.fromEntries(Array.from({ length: 999 }, (_, i) => [`unknown_${i}_${"x".repeat(100)}`, 1]));
    const rest = await post(`${server.httpUrl}/api/v1/sessions`, JSON.stringify(fields));
    expect(rest.status).to.equal(400);
    const status = JSON.parse(rest.text) as { details: { fieldViolations?: { field: string; description: string }[] }[] };
    const violations = status.details.flatMap((d) => d.fieldViolations ?? []);
    expect(violations.length).to.be.at.most(21);
    expect(violations.at(-1)!.description).to.match(/^and \d+ more$/);
    expect(rest.text.length).to.be.lessThan(8 * 1024);
    const json = new TextEncoder().encode(JSON.stringify(fields));
    for (const door of ["connect-json", "grpc-web-json"] as RawDoor[]) {
      const answer = await callRaw(door, server, SessionRegistry.method.createSession, json);
      expect(answer.reason, door).to.equal("VALIDATION_FAILED");
      expect(answer.violations.length, door).to.be.at.most(21);
      expect(answer.size, door).to.be.lessThan(8 * 1024);
    }
  });

  it("answers a body over the limit 413 to a client still uploading it, never a reset", async () => {
    const port = Number(new URL(server.httpUrl).port);
    for (const [path, type, status] of [
      ["/api/v1/sessions", "application/json", "413"],
      ["/keyward.v1.SessionRegistry/CreateSession", "application/json", "429"],
    ] as const) {
      const answer = await uploadThenRead(port, path, type, 5 * 1024 * 1024);
      expect(answer.split("\r\n")[0], `${path}: ${answer.slice(0, 200)}`).to.equal(`HTTP/1.1 ${status} ${status === "413" ? "Payload Too Large" : "Too Many Requests"}`);
      expect(answer.toLowerCase()).to.contain("connection: close").and.contain("body_too_large");
    }
    const big = new Uint8Array(5 * 1024 * 1024).fill(0x20);
    const answers = await Promise.all(Array.from({ length: 5 }, () => post(`${server.httpUrl}/api/v1/sessions`, big)));
    expect(answers.map((a) => a.status), answers.map((a) => a.text.slice(0, 80)).join(" | ")).to.deep.equal([413, 413, 413, 413, 413]);
    expect(answers.map((a) => reasonOfBody(a.text))).to.deep.equal(Array(5).fill("BODY_TOO_LARGE"));
    await stillServing();
  });
});
