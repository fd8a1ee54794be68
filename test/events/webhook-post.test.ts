// One delivery attempt against receivers on 127.0.0.1: the body and headers arrive as sent; a non-2xx,
// a refused connection, a receiver that never answers and a redirect are failures with a readable
// error; a redirect is not followed; an endless answer is cut after a bounded read.
import { once } from "node:events";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { expect } from "chai";
import { postWebhook } from "../../src/events/webhook-post.js";
import { OutboundTargets } from "../../src/net/outbound-targets.js";

/** The receivers here are on loopback, which the operator must list. */
const LOOPBACK_ALLOWED = new OutboundTargets(["127.0.0.0/8", "::1/128"]);

async function receiver(handle: (req: IncomingMessage, res: ServerResponse, body: string) => void): Promise<{ server: Server; url: string }> {
  const server = createServer((req, res) => {
    let body = "";
    req.on("data", (chunk: Buffer) => (body += chunk.toString()));
    req.on("end", () => handle(req, res, body));
  });
  server.listen(0, "127.0.0.1");
  await once(server, "listening");
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook` };
}

describe("postWebhook", () => {
  const servers: Server[] = [];
  const start = async (handle: Parameters<typeof receiver>[0]) => {
    const made = await receiver(handle);
    servers.push(made.server);
    return made.url;
  };
  afterEach(() => {
    for (const server of servers.splice(0)) {
      server.closeAllConnections();
      server.close();
    }
  });

  it("posts the body as JSON with the given headers and reports a 2xx as success", async () => {
    let seen: { method?: string; type?: string; signature?: string; body?: string } = {};
    const url = await start((req, res, body) => {
      seen = { method: req.method, type: req.headers["content-type"], signature: req.headers["x-keyward-signature"] as string, body };
      res.writeHead(204).end();
    });
    const result = await postWebhook(url, '{"a":1}', { "X-Keyward-Signature": "t=1,v1=00" }, 5_000, LOOPBACK_ALLOWED);
    expect(result).to.deep.equal({ status: 204, error: "" });
    expect(seen).to.deep.equal({ method: "POST", type: "application/json", signature: "t=1,v1=00", body: '{"a":1}' });
  });

  it("reports a non-2xx answer with its status", async () => {
    const url = await start((_req, res) => res.writeHead(503).end("down"));
    expect(await postWebhook(url, "{}", {}, 5_000, LOOPBACK_ALLOWED)).to.deep.equal({ status: 503, error: "HTTP 503" });
  });

  it("does not follow a redirect", async () => {
    let elsewhere = 0;
    const target = await start((_req, res) => {
      elsewhere++;
      res.writeHead(200).end();
    });
    const url = await start((_req, res) => res.writeHead(307, { location: target }).end());
    expect(await postWebhook(url, "{}", {}, 5_000, LOOPBACK_ALLOWED)).to.deep.equal({ status: 307, error: "HTTP 307 (redirects are not followed)" });
    expect(elsewhere).to.equal(0);
  });

  it("gives up on a receiver that never answers at the timeout", async () => {
    const url = await start(() => {
      /* never answers */
    });
    expect(await postWebhook(url, "{}", {}, 300, LOOPBACK_ALLOWED)).to.deep.equal({ status: 0, error: "timeout" });
  });

  it("cuts an answer that never ends after a bounded read, keeping its status", async () => {
    const url = await start((_req, res) => {
      res.writeHead(200);
      const chunk = Buffer.alloc(16 * 1024, 120);
      const pump = () => {
        while (res.write(chunk)) {
          /* fill the socket */
        }
      };
      res.on("drain", pump);
      pump();
    });
    expect(await postWebhook(url, "{}", {}, 10_000, LOOPBACK_ALLOWED)).to.deep.equal({ status: 200, error: "" });
  });

  it("reports a refused connection", async () => {
    const url = await start((_req, res) => res.end());
    servers[0]!.close();
    servers.length = 0;
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(await postWebhook(url, "{}", {}, 5_000, LOOPBACK_ALLOWED)).to.deep.equal({ status: 0, error: "connection refused" });
  });

  describe("outbound targets", () => {
    const none = new OutboundTargets([]);
    /** A receiver on 127.0.0.1 that counts what reaches it. */
    const counting = async () => {
      let received = 0;
      const url = await start((_req, res) => {
        received += 1;
        res.writeHead(204).end();
      });
      return { url, received: () => received };
    };

    it("refuses a loopback receiver without the setting: no connection is made", async () => {
      const { url, received } = await counting();
      const port = new URL(url).port;
      expect(await postWebhook(url, "{}", {}, 5_000, none)).to.deep.equal({ status: 0, error: "target not allowed" });
      expect(await postWebhook(`http://[::ffff:127.0.0.1]:${port}/hook`, "{}", {}, 5_000, none)).to.deep.equal({ status: 0, error: "target not allowed" });
      expect(received()).to.equal(0);
    });

    it("refuses a host name whose addresses are all refused, judged on what it resolves to when connecting", async () => {
      const { url, received } = await counting();
      const byName = url.replace("127.0.0.1", "localhost");
      expect(await postWebhook(byName, "{}", {}, 5_000, none)).to.deep.equal({ status: 0, error: "target not allowed" });
      expect(received()).to.equal(0);
      // Listed, the same name is delivered to (only to its allowed addresses: ::1 is not listed here).
      expect(await postWebhook(byName, "{}", {}, 5_000, new OutboundTargets(["127.0.0.1/32"]))).to.deep.equal({ status: 204, error: "" });
      expect(received()).to.equal(1);
    });
  });
});
