/** The listener limits in the server configuration: defaults, flags over env, every problem at once. */
import { expect } from "chai";
import { loadConfig } from "../../src/server/config.js";

describe("server/config: listener limits", () => {
  it("defaults to 100 streams, a 30 s default deadline, 1000 HTTP connections (100 per client) and 10 s / 30 s / 5 s HTTP timeouts", () => {
    const loaded = loadConfig({}, {});
    expect(loaded.ok && loaded.config.limits).to.deep.equal({
      maxConcurrentStreams: 100,
      defaultDeadlineMs: 30_000,
      maxHttpConnections: 1000,
      maxConnectionsPerClient: 100,
      httpHeadersTimeoutMs: 10_000,
      httpRequestTimeoutMs: 30_000,
      httpKeepAliveTimeoutMs: 5_000,
    });
  });

  it("reads each limit from its flag, or else its env variable", () => {
    const loaded = loadConfig(
      { "max-concurrent-streams": "50", "default-deadline": "2s", "http-keep-alive-timeout": "1s" },
      {
        KEYWARD_MAX_CONCURRENT_STREAMS: "9",
        KEYWARD_MAX_HTTP_CONNECTIONS: "64",
        KEYWARD_MAX_CONNECTIONS_PER_CLIENT: "8",
        KEYWARD_HTTP_HEADERS_TIMEOUT: "3s",
        KEYWARD_HTTP_REQUEST_TIMEOUT: "1m",
        KEYWARD_DEFAULT_DEADLINE: "9s",
      },
    );
    expect(loaded.ok && loaded.config.limits).to.deep.equal({
      maxConcurrentStreams: 50,
      defaultDeadlineMs: 2_000,
      maxHttpConnections: 64,
      maxConnectionsPerClient: 8,
      httpHeadersTimeoutMs: 3_000,
      httpRequestTimeoutMs: 60_000,
      httpKeepAliveTimeoutMs: 1_000,
    });
  });

  it("lists every bad limit at once", () => {
    const loaded = loadConfig(
      { "max-concurrent-streams": "0", "default-deadline": "0", "max-http-connections": "many", "http-headers-timeout": "1y" },
      { KEYWARD_HTTP_KEEP_ALIVE_TIMEOUT: "5" },
    );
    expect(loaded.ok).to.equal(false);
    const problems = loaded.ok ? [] : loaded.problems;
    expect(problems).to.have.length(5);
    expect(problems.join("\n"))
      .to.contain('--max-concurrent-streams: "0" must be a whole number >= 1')
      .and.contain("--default-deadline: must be longer than 0")
      .and.contain('--max-http-connections: "many" must be a whole number >= 1')
      .and.contain('--http-headers-timeout: "1y" has the unknown unit `y`')
      .and.contain('KEYWARD_HTTP_KEEP_ALIVE_TIMEOUT: "5" has no unit');
  });

  it("refuses a headers timeout longer than the request timeout (Node would)", () => {
    const loaded = loadConfig({ "http-headers-timeout": "1m", "http-request-timeout": "30s" }, {});
    expect(loaded.ok ? [] : loaded.problems).to.deep.equal(["--http-headers-timeout: must not be longer than --http-request-timeout"]);
  });

  it("refuses a per-client connection cap above the listener's (one client could lock everyone out), naming where each came from", () => {
    const explicit = loadConfig({ "max-connections-per-client": "2000" }, {});
    expect(explicit.ok ? [] : explicit.problems).to.deep.equal(["--max-connections-per-client: 2000 must not exceed --max-http-connections (1000)"]);
    const lowered = loadConfig({ "max-http-connections": "64" }, {});
    expect(lowered.ok ? [] : lowered.problems).to.deep.equal(["default of --max-connections-per-client: 100 must not exceed --max-http-connections (64)"]);
    expect(loadConfig({ "max-http-connections": "64", "max-connections-per-client": "64" }, {}).ok).to.equal(true);
    const zero = loadConfig({}, { KEYWARD_MAX_CONNECTIONS_PER_CLIENT: "0" });
    expect(zero.ok ? [] : zero.problems).to.deep.equal(['KEYWARD_MAX_CONNECTIONS_PER_CLIENT: "0" must be a whole number >= 1']);
  });
});
