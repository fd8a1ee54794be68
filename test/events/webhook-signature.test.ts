// The signature Keyward puts on a delivery and the check receivers run (src/client's
// verifyWebhookSignature) agree, and the check refuses what it must: another secret, an edited body, a
// replay outside the tolerance, a header that is missing or malformed.
import { expect } from "chai";
import { verifyWebhookSignature } from "../../src/client/index.js";
import { signatureHeader } from "../../src/events/webhook-signature.js";

const SECRET = "whsec_Zq4dD0Xn9m3kU2gJ1cY7pB5tR8wE6vA0sL3hN9fQ2xI";
const BODY = '{"id":"0000000000000042","type":"api_key.create"}';
const NOW_MS = 1_800_000_000_000;
const T = NOW_MS / 1000;

describe("webhook signatures", () => {
  it("has Stripe's shape: t=<unix seconds>,v1=<64 hex digits>", () => {
    expect(signatureHeader(SECRET, T, BODY)).to.match(/^t=1800000000,v1=[0-9a-f]{64}$/);
  });

  it("verifies what Keyward signed, from a string or the raw bytes", () => {
    const header = signatureHeader(SECRET, T, BODY);
    expect(verifyWebhookSignature(SECRET, header, BODY, { now: NOW_MS })).to.deep.equal({ ok: true, timestamp: T });
    expect(verifyWebhookSignature(SECRET, header, Buffer.from(BODY), { now: NOW_MS }).ok).to.equal(true);
  });

  it("refuses another secret, an edited body and a changed timestamp", () => {
    const header = signatureHeader(SECRET, T, BODY);
    expect(verifyWebhookSignature(`${SECRET}x`, header, BODY, { now: NOW_MS })).to.deep.equal({ ok: false, problem: "signature_mismatch" });
    expect(verifyWebhookSignature(SECRET, header, BODY.replace("create", "delete"), { now: NOW_MS }).ok).to.equal(false);
    const moved = header.replace(`t=${T}`, `t=${T + 1}`);
    expect(verifyWebhookSignature(SECRET, moved, BODY, { now: NOW_MS })).to.deep.equal({ ok: false, problem: "signature_mismatch" });
  });

  it("refuses a delivery signed outside the tolerance (a replay), either way, and honours a custom one", () => {
    const old = signatureHeader(SECRET, T - 301, BODY);
    expect(verifyWebhookSignature(SECRET, old, BODY, { now: NOW_MS })).to.deep.equal({ ok: false, problem: "timestamp_out_of_tolerance" });
    const future = signatureHeader(SECRET, T + 301, BODY);
    expect(verifyWebhookSignature(SECRET, future, BODY, { now: NOW_MS }).ok).to.equal(false);
    expect(verifyWebhookSignature(SECRET, old, BODY, { now: NOW_MS, toleranceSeconds: 600 }).ok).to.equal(true);
  });

  it("refuses a missing or malformed header, and accepts any one of several v1 signatures", () => {
    expect(verifyWebhookSignature(SECRET, undefined, BODY)).to.deep.equal({ ok: false, problem: "missing_header" });
    expect(verifyWebhookSignature(SECRET, "", BODY)).to.deep.equal({ ok: false, problem: "missing_header" });
    expect(verifyWebhookSignature(SECRET, "v1=abc", BODY, { now: NOW_MS })).to.deep.equal({ ok: false, problem: "malformed_header" });
    expect(verifyWebhookSignature(SECRET, `t=${T}`, BODY, { now: NOW_MS })).to.deep.equal({ ok: false, problem: "malformed_header" });
    const good = signatureHeader(SECRET, T, BODY);
    const twice = `t=${T},v1=${"0".repeat(64)},${good.split(",")[1]}`;
    expect(verifyWebhookSignature(SECRET, twice, BODY, { now: NOW_MS }).ok).to.equal(true);
  });
});
