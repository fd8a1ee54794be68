// What a webhook's URL and event types may be: https anywhere, http only to loopback, no credentials,
// bounded lengths and counts, each problem named by field.
import { expect } from "chai";
import { Violations } from "../../src/services/validation.js";
import { checkEventTypes, checkWebhookUrl } from "../../src/services/webhook-validation.js";

function urlProblems(url: string): string[] {
  const v = new Violations();
  checkWebhookUrl(v, "webhook.url", url);
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

  it("checks event types: at most 20, each 1 to 64 of [a-z0-9_.], repeats dropped", () => {
    const v = new Violations();
    expect(checkEventTypes(v, "webhook.event_types", ["api_key.", "auth.fail", "api_key."])).to.deep.equal(["api_key.", "auth.fail"]);
    v.done();
    const bad = new Violations();
    checkEventTypes(bad, "webhook.event_types", ["", "API_KEY", "a".repeat(65), ...Array.from({ length: 20 }, (_, i) => `t${i}`)]);
    expect(() => bad.done()).to.throw(/at most 20 event types.*event_types\[0\]: must not be empty.*event_types\[1\]: must be an event type.*event_types\[2\]: must be at most 64/);
  });
});
