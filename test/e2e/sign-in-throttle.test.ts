/**
 * The sign-in throttle on real servers (ARCHITECTURE.md, "Sessions and passwords"): an attempt is counted before its password is hashed,
 * so a burst of concurrent guesses is not all checked; the counts live in the store, so two processes on
 * one SQLite file count together; IPv6 clients count by their /64; and one client cannot take the password
 * queue from the others. Clients are told apart by loopback address (Linux routes all of 127/8 to lo).
 */
import { Agent, request } from "node:http";
import { expect } from "chai";
import { httpFrom, type HttpAnswer } from "./support/http-from.js";
import { reasonOfBody } from "../support/error-reasons.js";
import { issuedKeys } from "./support/secret-scan.js";
import { removeDataDir, startServer, type ServerProcess } from "./support/server-process.js";

const RIGHT_PASSWORD = "the right password, of course";
const WRONG_PASSWORD = "a wrong guess at the password";

/** What a burst of sign-ins got back. */
interface Tally {
  sent: number;
  /** Passwords actually compared: a wrong one answers LOGIN_FAILED, the right one 200. */
  checked: number;
  /** Refused before any hashing: LOGIN_THROTTLED with a wait, or PASSWORD_QUEUE_FULL (the client's share of the queue is taken). */
  refused: number;
  /** Anything else, as `status reason`. */
  other: string[];
  seconds: number;
}

function signIn(server: ServerProcess, from: string, userId: string, password: string, headers: Record<string, string> = {}): Promise<HttpAnswer> {
  return httpFrom(from, `${server.httpUrl}/api/v1/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json", ...headers },
    body: JSON.stringify({ userId, password }),
  });
}

/** Sends every sign-in at once and sorts the answers. */
async function burst(attempts: (() => Promise<HttpAnswer>)[]): Promise<Tally> {
  const started = performance.now();
  const answers = await Promise.all(attempts.map((attempt) => attempt()));
  const tally: Tally = { sent: answers.length, checked: 0, refused: 0, other: [], seconds: (performance.now() - started) / 1000 };
  for (const answer of answers) {
    const reason = reasonOfBody(answer.body);
    if (answer.status === 200 || reason === "LOGIN_FAILED") tally.checked++;
    else if (answer.status === 429 && (reason === "LOGIN_THROTTLED" || reason === "PASSWORD_QUEUE_FULL") && Number(answer.headers["retry-after"]) >= 1) {
      tally.refused++;
    } else tally.other.push(`${answer.status} ${reason}`);
  }
  return tally;
}

/**
 * Attempts one subject may have checked within `seconds` of its first: the allowance, then one more after
 * each wait (1 s, then 2 s, 4 s, ...). A burst normally ends well inside the first wait.
 */
function allowedWithin(free: number, seconds: number): number {
  return free + Math.floor(Math.log2(seconds + 1));
}

async function createUser(server: ServerProcess, userId: string, password: string): Promise<void> {
  const response = await fetch(`${server.httpUrl}/api/v1/users`, {
    method: "POST",
    headers: { authorization: `Bearer ${server.adminKey()}`, "content-type": "application/json" },
    body: JSON.stringify({ userId, password }),
  });
  expect(response.status, await response.clone().text()).to.equal(200);
}

describe("e2e: the sign-in throttle counts before it hashes, in the store", function () {
  this.timeout(120_000);
  const FREE_PER_USER = 5;
  const FREE_PER_ADDRESS = 20;
  const GUESSES = 60;
  let first: ServerProcess;
  let second: ServerProcess;

  before(async () => {
    const args = ["--login-free-failures", String(FREE_PER_USER), "--login-free-failures-per-address", String(FREE_PER_ADDRESS)];
    first = await startServer({ args });
    second = await startServer({ dataDir: first.dataDir, args });
    issuedKeys.add(first.adminKey());
    for (const userId of ["burst-one", "burst-two"]) await createUser(first, userId, RIGHT_PASSWORD);
  });

  after(async () => {
    const codes = await Promise.all([second?.stop(), first?.stop()]);
    expect(codes).to.deep.equal([0, 0]);
    removeDataDir(first.dataDir);
  });

  it(`checks at most the allowance of ${GUESSES} concurrent guesses for one user id, on one process`, async () => {
    const tally = await burst(Array.from({ length: GUESSES }, () => () => signIn(first, "127.0.0.11", "burst-one", WRONG_PASSWORD)));
    expect(tally.other, JSON.stringify(tally)).to.deep.equal([]);
    expect(tally.checked, JSON.stringify(tally)).to.be.within(FREE_PER_USER, allowedWithin(FREE_PER_USER, tally.seconds));
    expect(tally.refused).to.equal(GUESSES - tally.checked);
    // Still throttled for the right password: the wait holds whatever is guessed.
    const right = await signIn(first, "127.0.0.11", "burst-one", RIGHT_PASSWORD);
    expect([right.status, reasonOfBody(right.body)]).to.deep.equal([429, "LOGIN_THROTTLED"]);
  });

  it(`checks at most the allowance of ${GUESSES} concurrent guesses for one user id split across two processes on one file`, async () => {
    const tally = await burst(
      Array.from({ length: GUESSES }, (_, i) => () => signIn(i % 2 === 0 ? first : second, "127.0.0.12", "burst-two", WRONG_PASSWORD)),
    );
    expect(tally.other, JSON.stringify(tally)).to.deep.equal([]);
    expect(tally.checked, JSON.stringify(tally)).to.be.within(FREE_PER_USER, allowedWithin(FREE_PER_USER, tally.seconds));
    expect(tally.refused).to.equal(GUESSES - tally.checked);
  });

  it(`checks at most the allowance of ${GUESSES} concurrent guesses at as many user ids from one address, across two processes`, async () => {
    const tally = await burst(
      Array.from({ length: GUESSES }, (_, i) => () => signIn(i % 2 === 0 ? first : second, "127.0.0.13", `spray-${i}`, WRONG_PASSWORD)),
    );
    expect(tally.other, JSON.stringify(tally)).to.deep.equal([]);
    expect(tally.checked, JSON.stringify(tally)).to.be.within(FREE_PER_ADDRESS, allowedWithin(FREE_PER_ADDRESS, tally.seconds));
    // Another address is not held back by this one.
    expect((await signIn(second, "127.0.0.14", "burst-one-never", WRONG_PASSWORD)).status).to.equal(401);
  });

  it("a success clears the user id's count, and the address gets its attempt back", async () => {
    await createUser(first, "burst-three", RIGHT_PASSWORD);
    const from = "127.0.0.15";
    for (let i = 0; i < FREE_PER_USER - 1; i++) expect((await signIn(first, from, "burst-three", WRONG_PASSWORD)).status).to.equal(401);
    expect((await signIn(second, from, "burst-three", RIGHT_PASSWORD)).status).to.equal(200);
    // The user id starts afresh: its whole allowance again, on either process.
    for (let i = 0; i < FREE_PER_USER; i++) expect((await signIn(i % 2 ? first : second, from, "burst-three", WRONG_PASSWORD)).status).to.equal(401);
    expect(reasonOfBody((await signIn(first, from, "burst-three", WRONG_PASSWORD)).body)).to.equal("LOGIN_THROTTLED");
    // The address counted 2 × (FREE_PER_USER) failures and the one success came back: below its 20.
    expect((await signIn(first, from, "burst-three-other", WRONG_PASSWORD)).status).to.equal(401);
  });
});

describe("e2e: the sign-in throttle counts an IPv6 client by its /64", function () {
  this.timeout(60_000);
  let server: ServerProcess;

  before(async () => {
    // The addresses arrive from a trusted proxy, the way a dual-stack deployment sees them.
    server = await startServer({ args: ["--trusted-proxies", "127.0.0.1/32", "--login-free-failures", "100", "--login-free-failures-per-address", "3"] });
    issuedKeys.add(server.adminKey());
  });

  after(async () => {
    if (server) {
      expect(await server.stop()).to.equal(0);
      removeDataDir(server.dataDir);
    }
  });

  const from = (client: string, userId: string) => signIn(server, "127.0.0.1", userId, WRONG_PASSWORD, { "x-forwarded-for": client });
  const outcome = (answer: HttpAnswer) => {
    const info = (JSON.parse(answer.body) as { details?: { reason?: string; metadata?: Record<string, string> }[] }).details?.find((d) => d.reason);
    return `${answer.status} ${info?.reason ?? ""}${info?.metadata?.["subject"] ? ` (${info.metadata["subject"]})` : ""}`;
  };

  it("every address of one /64 shares one allowance; another /64 has its own", async () => {
    const answers = [];
    for (const [i, client] of ["2001:db8:a:1::1", "2001:db8:a:1::2", "2001:db8:a:1:1:2:3:4", "2001:db8:a:1:ffff:ffff:ffff:ffff"].entries()) {
      answers.push(outcome(await from(client, `v6-guess-${i}`)));
    }
    expect(answers).to.deep.equal(["401 LOGIN_FAILED", "401 LOGIN_FAILED", "401 LOGIN_FAILED", "429 LOGIN_THROTTLED (address)"]);
    expect(outcome(await from("2001:db8:a:2::1", "v6-guess-other"))).to.equal("401 LOGIN_FAILED");
  });

  it("an IPv4-mapped IPv6 address counts as its IPv4 address", async () => {
    const answers = [];
    for (const [i, client] of ["::ffff:198.51.100.20", "[::ffff:198.51.100.20]", "198.51.100.20", "198.51.100.20"].entries()) {
      answers.push(outcome(await from(client, `mapped-guess-${i}`)));
    }
    expect(answers).to.deep.equal(["401 LOGIN_FAILED", "401 LOGIN_FAILED", "401 LOGIN_FAILED", "429 LOGIN_THROTTLED (address)"]);
  });
});

describe("e2e: one client cannot take the password queue from the others", function () {
  this.timeout(180_000);
  /** Sign-ins 127.0.0.2 keeps in flight: more than the whole queue holds. */
  const FLOODERS = 120;
  /** The flood stops after this many, whatever happens. */
  const MOST_SENT = 3_000;
  /** Sign-ins 127.0.0.3 makes, one after the other, during the flood. */
  const OTHER_SIGN_INS = 5;
  /** How long a flooder waits after a refusal before it sends again. */
  const REFUSED_PAUSE_MS = 2_000;
  let server: ServerProcess;

  before(async () => {
    // An allowance as large as a big NAT's would need, and room for all its connections: only the queue's
    // fair share stands in the way.
    server = await startServer({
      args: ["--login-free-failures", "1000000", "--login-free-failures-per-address", "1000000", "--max-connections-per-client", String(FLOODERS + 30)],
    });
    issuedKeys.add(server.adminKey());
    await createUser(server, "fair-flooded", RIGHT_PASSWORD);
    await createUser(server, "fair-other", RIGHT_PASSWORD);
  });

  after(async () => {
    if (server) {
      expect(await server.stop()).to.equal(0);
      removeDataDir(server.dataDir);
    }
  });

  /** A sign-in on `agent`'s kept-alive connections (a flood costs the server less without a handshake each time). */
  const signInOn = (agent: Agent, userId: string, password: string, timeoutMs: number) =>
    new Promise<string>((resolve, reject) => {
      const sent = request(
        `${server.httpUrl}/api/v1/sessions`,
        { method: "POST", agent, headers: { "content-type": "application/json" }, timeout: timeoutMs },
        (response) => {
          let body = "";
          response.setEncoding("utf8");
          response.on("data", (chunk: string) => (body += chunk));
          response.on("end", () => resolve(`${response.statusCode} ${reasonOfBody(body)}`));
        },
      );
      sent.on("timeout", () => sent.destroy(new Error(`no answer in ${timeoutMs} ms`)));
      sent.on("error", reject);
      sent.end(JSON.stringify({ userId, password }));
    });

  it(`127.0.0.2 keeps ${FLOODERS} sign-ins in flight; 127.0.0.3 still signs in ${OTHER_SIGN_INS} times, each within a bounded time`, async () => {
    const flooding = new Agent({ keepAlive: true, maxSockets: FLOODERS, localAddress: "127.0.0.2" });
    const other = new Agent({ localAddress: "127.0.0.3" });
    let stop = false;
    let sent = 0;
    const counts: Record<string, number> = {};
    let queueFull!: () => void;
    const filled = new Promise<void>((resolve) => (queueFull = resolve));
    const flooder = async () => {
      while (!stop && sent < MOST_SENT) {
        sent++;
        const answer = await signInOn(flooding, "fair-flooded", WRONG_PASSWORD, 20_000).catch((error: Error) => `no answer: ${error.message}`);
        counts[answer] = (counts[answer] ?? 0) + 1;
        if (answer === "429 PASSWORD_QUEUE_FULL") {
          queueFull();
          // Back soon, not at once: the places it holds stay held, and the server is not kept busy answering.
          await new Promise((resolve) => setTimeout(resolve, REFUSED_PAUSE_MS));
        }
      }
    };
    const flood = Array.from({ length: FLOODERS }, flooder);
    try {
      // A refusal means the flood holds all of the queue it can get.
      await Promise.race([filled, new Promise((_, reject) => setTimeout(() => reject(new Error("the flood was never refused")), 20_000))]);
      // Bounded: it waits behind at most one hash of each lane ahead of it (well under a second when the
      // machine is idle); the bound leaves room for a loaded test machine.
      // Several in a row: a lucky moment between two of the flood's requests would let one through anyway.
      for (let i = 0; i < OTHER_SIGN_INS; i++) {
        expect(await signInOn(other, "fair-other", RIGHT_PASSWORD, 20_000), `sign-in ${i + 1}: ${JSON.stringify(counts)}`).to.equal("200 ");
      }
    } finally {
      stop = true;
      await Promise.all(flood);
      flooding.destroy();
      other.destroy();
    }
    expect(Object.keys(counts).sort(), JSON.stringify(counts)).to.deep.equal(["401 LOGIN_FAILED", "429 PASSWORD_QUEUE_FULL"]);
  });
});
