// What a webhook's URL and event types may be: https anywhere, http only to loopback, no credentials,
// bounded lengths and counts, each problem named by field.
import { expect } from "chai";
import { OutboundTargets } from "../../src/net/outbound-targets.js";
import { Violations } from "../../src/services/validation.js";
import { checkEventTypes, checkWebhookUrl } from "../../src/services/webhook-validation.js";

/** Loopback listed, as a deployment with a receiver on the same machine would. */
const LOOPBACK_ALLOWED = new OutboundTargets(["127.0.0.0/8", "::1/128"]);

function urlProblems(url: string, targets = LOOPBACK_ALLOWED): string[] {
  const v = new Violations();
  checkWebhookUrl(v, "webhook.url", url, targets);
  try {
    v.done();
    return [];
  } catch (error) {
    return [(error as Error).message];
  }
}

describe("webhook validation", () => {
  it("accepts https anywhere and http to loopback only", () => {
    for (const ok of ["https://hooks.example.com/keyward", "http://127.0.0.1:8081/hook", "http://127.9.9.9/", "http://[::1]:9/x", "http://localhost:3000/"]) {
      expect(urlProblems(ok), ok).to.deep.equal([]);
    }
    for (const bad of ["http://hooks.example.com/", "http://10.0.0.1/", "http://[::2]/", "http://127.0.0.1.nip.io/"]) {
      expect(urlProblems(bad)[0], bad).to.contain("http:// is allowed only to a loopback address");
    }
  });

  it("refuses other schemes, non-URLs, credentials, fragments and URLs past 2048 characters", () => {
    expect(urlProblems("")[0]).to.contain("webhook.url: required");
    expect(urlProblems("ftp://example.com/")[0]).to.contain("must be https://");
    expect(urlProblems("hooks.example.com")[0]).to.contain("is not a URL");
    expect(urlProblems("https://user:pw@hooks.example.com/")[0]).to.contain("user name or password");
    expect(urlProblems("https://hooks.example.com/#x")[0]).to.contain("#fragment");
    expect(urlProblems(`https://hooks.example.com/${"a".repeat(2048)}`)[0]).to.contain("at most 2048 characters");
  });

  it("refuses a URL whose host is a non-public address unless --webhook-target-networks lists it, naming why; a host name is judged at send time", () => {
    const none = new OutboundTargets([]);
    const cases: [string, string][] = [
      ["https://127.0.0.1/hook", "127.0.0.1 is a loopback address"],
      ["http://[::1]:9/x", "::1 is a loopback address"],
      ["https://169.254.169.254/latest/meta-data/", "169.254.169.254 is a link-local address"],
      ["https://10.1.2.3/", "10.1.2.3 is a private address"],
      ["https://[::ffff:192.168.0.1]/", "192.168.0.1 is a private address"],
      ["https://[fd00::1]/", "fd00::1 is a unique-local address"],
      ["https://0.0.0.0/", "0.0.0.0 is an unspecified"],
    ];
    for (const [url, reason] of cases) {
      const problems = urlProblems(url, none);
      expect(problems[0], url).to.contain(`webhook.url: ${reason}`).and.contain("--webhook-target-networks");
    }
    for (const ok of ["https://93.184.215.14/hook", "https://[2606:4700::1111]/", "http://localhost:3000/", "https://internal.example.com/"]) {
      expect(urlProblems(ok, none), ok).to.deep.equal([]);
    }
    expect(urlProblems("https://10.1.2.3/", new OutboundTargets(["10.0.0.0/8"]))).to.deep.equal([]);
  });

  it("checks event types: at most 20, each 1 to 64 of [a-z0-9_.], repeats dropped", () => {
    const v = new Violations();
    expect(checkEventTypes(v, "webhook.event_types", ["api_key.", "auth.fail", "api_key."])).to.deep.equal(["api_key.", "auth.fail"]);
    v.done();
    const bad = new Violations();
    checkEventTypes(bad, "webhook.event_types", ["", "API_KEY", "a".repeat(65), ...Array.from({ length: 20 }, (_, i) => `t${i}`)]);
    expect(() => bad.done()).to.throw(/at most 20 event types.*event_types\[0\]: must not be empty.*event_types\[1\]: must be an event type.*event_types\[2\]: must be at most 64/);
  });
});
