import { expect } from "chai";
import { createServer, type IncomingMessage, type Server } from "node:http";
import * as net from "node:net";
import type { AddressInfo } from "node:net";
import { headersOf } from "../../src/http/request-headers.js";

/** Fetch's own Headers over the same raw lines: what `headersOf` must answer like. */
function fetchHeadersOf(request: IncomingMessage): Headers {
  const headers = new Headers();
  for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) {
    try {
      headers.append(request.rawHeaders[i]!, request.rawHeaders[i + 1]!);
    } catch {
      // refused by Fetch, as headersOf leaves it out
    }
  }
  return headers;
}

describe("http: request headers", () => {
  let server: Server;
  let seen: IncomingMessage[] = [];

  before(async () => {
    server = createServer((request, response) => {
      seen.push(request);
      response.end();
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  /** Sends `lines` as one request's header lines over a raw socket; resolves with Node's answer's status line. */
  async function send(lines: readonly string[]): Promise<string> {
    seen = [];
    const { port } = server.address() as AddressInfo;
    const socket = net.connect(port, "127.0.0.1");
    socket.write(Buffer.from(["GET /x HTTP/1.1", "Host: here", ...lines, "Connection: close", "", ""].join("\r\n"), "latin1"));
    let answer = "";
    await new Promise<void>((resolve) => socket.on("data", (chunk: Buffer) => (answer += chunk.toString("latin1"))).on("close", () => resolve()));
    return answer.split("\r\n")[0]!;
  }

  /** The request Node parsed from `lines`. */
  async function receive(lines: readonly string[]): Promise<IncomingMessage> {
    await send(lines);
    expect(seen, "the server parsed one request").to.have.length(1);
    return seen[0]!;
  }

  // What get relies on: no line Fetch would refuse reaches a handler.
  for (const [what, line] of [["a control character in a value", "X-Bad: a\x01b"], ["NUL in a value", "X-Bad: a\x00b"], ["a name that is not a token", "X Bad: v"]] as const) {
    it(`Node's parser refuses ${what} before any handler sees the request`, async () => {
      expect(await send([line])).to.equal("HTTP/1.1 400 Bad Request");
      expect(seen).to.deep.equal([]);
    });
  }

  const CASES: Record<string, string[]> = {
    "one of each": ["Authorization: Bearer NNSXS.A.B", "User-Agent: curl/8", "X-Forwarded-For: 10.0.0.1"],
    "repeated lines, any case, joined in arrival order": ["authorization: Bearer one", "AUTHORIZATION: Bearer two", "X-Forwarded-For: 10.0.0.1", "x-forwarded-for: 10.0.0.2, 10.0.0.3"],
    "whitespace around values and empty values": ["X-Empty:", "X-Spaces:    ", "Cookie:   a=1  ", "X-Tab: \tv\t"],
    "bytes past ASCII": ["X-Latin: caf\xe9", "Origin: https://example.test"],
  };

  for (const [name, lines] of Object.entries(CASES)) {
    it(`get answers as Fetch's Headers would: ${name}`, async () => {
      const request = await receive(lines);
      const reference = fetchHeadersOf(request);
      const names = new Set([...request.rawHeaders.filter((_, i) => i % 2 === 0), "absent", "Authorization", "x-FORWARDED-for"]);
      const headers = headersOf(request);
      for (const header of names) expect(headers.get(header), header).to.equal(reference.get(header));
      expect([...headers], "iterated after reads").to.deep.equal([...reference]);
    });
  }

  it("iterates, answers has, and changes like Fetch's Headers before any get", async () => {
    const request = await receive(CASES["repeated lines, any case, joined in arrival order"]!);
    const reference = fetchHeadersOf(request);
    const headers = headersOf(request);
    expect(headers).to.be.instanceOf(Headers);
    expect(headers.has("Authorization")).to.equal(true);
    expect([...headers.entries()]).to.deep.equal([...reference.entries()]);
    headers.set("authorization", "Bearer three");
    headers.append("x-added", "1");
    headers.delete("x-forwarded-for");
    expect(headers.get("authorization")).to.equal("Bearer three");
    expect(headers.get("x-forwarded-for")).to.equal(null);
    expect([...headers.keys()]).to.deep.equal(["authorization", "connection", "host", "x-added"]);
  });

  it("copies into Fetch's own Headers whole, before any read (a copy may read the list, not the methods)", async () => {
    const request = await receive(CASES["one of each"]!);
    expect([...new Headers(headersOf(request))]).to.deep.equal([...fetchHeadersOf(request)]);
    expect(new Response(null, { headers: headersOf(request) }).headers.get("user-agent")).to.equal("curl/8");
  });

  it("refuses a name that is not a token as Fetch does", async () => {
    const headers = headersOf(await receive([]));
    expect(() => headers.get("bad name")).to.throw(TypeError);
  });
});
