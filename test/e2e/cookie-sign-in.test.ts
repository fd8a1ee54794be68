/**
 * The cookie sign-in guard (ARCHITECTURE.md, "Sessions and passwords", login CSRF): a sign-in that sets the session cookie needs a JSON
 * (or Connect/gRPC-Web) body and, when the browser says where the request comes from, this server's own
 * origin. Otherwise a page on another port of the same host could sign a visitor's browser into the
 * attacker's account. Sent with `fetch`, as a browser would, over REST and Connect.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { expect } from "chai";
import { ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { issuedKeys } from "./support/secret-scan.js";
import { removeDataDir, startServer, type ServerProcess } from "./support/server-process.js";

const USER = "cookie-guarded";
const PASSWORD = "the guarded password";

interface Outcome {
  status: number;
  reason: string;
  cookie: string | null;
}

/** What a sign-in answered: its status, its ErrorInfo reason (REST's or Connect's shape) and its cookie. */
async function outcomeOf(response: Response): Promise<Outcome> {
  const text = await response.text();
  let reason = "";
  try {
    const body = JSON.parse(text) as { details?: { reason?: string; type?: string; value?: string }[] };
    const detail = body.details?.find((d) => d.reason !== undefined || d.type === "google.rpc.ErrorInfo");
    reason = detail?.reason ?? (detail?.value ? fromBinary(ErrorInfoSchema, Buffer.from(detail.value, "base64")).reason : "");
  } catch {
    // Not JSON: no reason.
  }
  return { status: response.status, reason, cookie: response.headers.get("set-cookie") };
}

describe("e2e: the cookie sign-in guard (login CSRF)", function () {
  this.timeout(60_000);
  let server: ServerProcess;
  let ownOrigin: string;
  /** The same host on another port: same-site, but another origin. */
  let otherPort: string;

  before(async () => {
    server = await startServer({ args: ["--login-free-failures-per-address", "1000"] });
    issuedKeys.add(server.adminKey());
    const url = new URL(server.httpUrl);
    ownOrigin = url.origin;
    otherPort = `http://${url.hostname}:${Number(url.port) === 65535 ? 1 : Number(url.port) + 1}`;
    const created = await fetch(`${server.httpUrl}/api/v1/users`, {
      method: "POST",
      headers: { authorization: `Bearer ${server.adminKey()}`, "content-type": "application/json" },
      body: JSON.stringify({ userId: USER, password: PASSWORD }),
    });
    expect(created.status).to.equal(200);
  });

  after(async () => {
    if (server) {
      expect(await server.stop()).to.equal(0);
      removeDataDir(server.dataDir);
    }
  });

  const body = (setCookie = true) => JSON.stringify({ userId: USER, password: PASSWORD, setCookie });

  /** A sign-in over REST; a string body goes as `text/plain` unless the headers name a type. */
  const rest = (headers: Record<string, string>, payload: string | Blob = body()) =>
    fetch(`${server.httpUrl}/api/v1/sessions`, { method: "POST", headers, body: payload }).then(outcomeOf);
  const connect = (headers: Record<string, string>, payload: string | Blob = body()) =>
    fetch(`${server.httpUrl}/keyward.v1.SessionRegistry/CreateSession`, { method: "POST", headers, body: payload }).then(outcomeOf);
  const json = { "content-type": "application/json" };

  for (const [door, send] of [
    ["REST", (headers: Record<string, string>, payload?: string | Blob) => rest(headers, payload)],
    ["Connect", (headers: Record<string, string>, payload?: string | Blob) => connect(headers, payload)],
  ] as const) {
    describe(door, () => {
      it("refuses a cookie sign-in from a page on another port, or any other site, and sets no cookie", async () => {
        for (const headers of [
          { ...json, origin: otherPort },
          { ...json, origin: otherPort, "sec-fetch-site": "same-site" },
          { ...json, origin: "https://evil.example", "sec-fetch-site": "cross-site" },
          { ...json, "sec-fetch-site": "same-site" },
          // Fetch metadata decides when present, whatever the Origin says.
          { ...json, origin: ownOrigin, "sec-fetch-site": "cross-site" },
        ]) {
          expect(await send(headers), JSON.stringify(headers)).to.deep.equal({ status: 403, reason: "SESSION_CROSS_ORIGIN", cookie: null });
        }
      });

      it("refuses a cookie sign-in whose body a cross-origin page could send unasked (no content type, text/plain, a form)", async () => {
        const bytes = new Blob([body()]); // a Blob without a type: fetch then sends no content type
        for (const [what, headers, payload] of [
          ["no content type", {}, bytes],
          ["no content type, same origin", { "sec-fetch-site": "same-origin" }, bytes],
          ["text/plain", { "content-type": "text/plain;charset=UTF-8", origin: otherPort }, body()],
          ["a form", { "content-type": "application/x-www-form-urlencoded" }, body()],
        ] as const) {
          const outcome = await send(headers, payload);
          // Refused by this guard (403), or already by the door for a type it does not read (415).
          expect(outcome.status, what).to.be.oneOf([403, 415]);
          expect(outcome.cookie, what).to.equal(null);
          if (outcome.status === 403) expect(outcome.reason, what).to.equal("SESSION_CROSS_ORIGIN");
        }
      });

      it("sets the cookie for this server's own pages, and for clients that are no browser", async () => {
        for (const headers of [{ ...json, "sec-fetch-site": "same-origin", origin: ownOrigin }, { ...json, origin: ownOrigin }, json]) {
          const outcome = await send(headers);
          expect(outcome.status, JSON.stringify(headers)).to.equal(200);
          expect(outcome.cookie, JSON.stringify(headers)).to.match(/^keyward_session=ONSXG\./);
          issuedKeys.add(/keyward_session=([^;]*)/.exec(outcome.cookie!)![1]!);
        }
      });

      it("leaves a sign-in without the cookie alone: its token goes to the caller, not into a browser", async () => {
        const response = await fetch(door === "REST" ? `${server.httpUrl}/api/v1/sessions` : `${server.httpUrl}/keyward.v1.SessionRegistry/CreateSession`, {
          method: "POST",
          headers: { ...json, origin: otherPort, "sec-fetch-site": "same-site" },
          body: body(false),
        });
        expect(response.status).to.equal(200);
        expect(response.headers.get("set-cookie")).to.equal(null);
        const token = ((await response.json()) as { token: string }).token;
        expect(token).to.match(/^ONSXG\./);
        issuedKeys.add(token);
      });
    });
  }

  it("a refused cookie sign-in is not counted against the user id", async () => {
    // Well past the default allowance of 5: none of these reaches the password check.
    for (let i = 0; i < 8; i++) expect((await rest({ ...json, origin: otherPort })).reason).to.equal("SESSION_CROSS_ORIGIN");
    expect((await rest({ ...json, origin: ownOrigin })).status).to.equal(200);
  });
});
