/** The CLI's pure helpers, without spawning anything: tables, rights flags, expiry and flag parsing. */
import { create } from "@bufbuild/protobuf";
import { timestampFromMs, timestampMs } from "@bufbuild/protobuf/wkt";
import { Code, ConnectError } from "@connectrpc/connect";
import { Command } from "commander";
import { expect } from "chai";
import { BadRequestSchema, ErrorInfoSchema } from "../../gen/google/rpc/error_details_pb.js";
import { ApiKeySchema, ApiKeyState } from "../../gen/keyward/v1/api_key_pb.js";
import { Right, RightSchema } from "../../gen/keyward/v1/rights_pb.js";
import { UserState } from "../../gen/keyward/v1/user_pb.js";
import { apiKeyUpdate } from "../../src/cli/api-keys-command.js";
import { fetchPages, formatApiError, redact, registerSecret } from "../../src/cli/client.js";
import { apiKeyStates, userStates } from "../../src/cli/enum-flags.js";
import { apiKeyBlock, apiKeysTable, formatBlock, formatTable, formatTime, newKeyText, KEY_NOTICE } from "../../src/cli/output.js";
import { addRightsOptions, parseRightNames, rightFlags } from "../../src/cli/rights-flags.js";
import { parseGracePeriod, parsePageSize, parseRfc3339, resolveExpiry, UsageError } from "../../src/cli/usage.js";
import { userUpdate } from "../../src/cli/users-command.js";

const NOW = Date.UTC(2026, 0, 15, 12, 0, 0);
const DAY = 86_400_000;

describe("cli: output formatting", () => {
  it("aligns table columns to the widest cell and leaves no trailing blanks", () => {
    const text = formatTable(["ID", "NAME", "STATE"], [["a", "long name", "active"], ["bbbb", "x", "disabled"]]);
    const lines = text.split("\n");
    expect(lines).to.deep.equal(["ID     NAME        STATE", "a      long name   active", "bbbb   x           disabled", ""]);
    for (const line of lines) expect(line).to.not.match(/ $/);
  });

  it("measures code points, so accented names line up", () => {
    const lines = formatTable(["NAME", "X"], [["Zoë", "1"], ["Bob", "2"]]).split("\n");
    expect(lines[1]!.indexOf("1")).to.equal(lines[2]!.indexOf("2"));
  });

  it("aligns key/value blocks", () => {
    expect(formatBlock([["ID", "k1"], ["Last used", "never"]])).to.equal("ID:         k1\nLast used:  never\n");
  });

  it("prints times as RFC 3339 UTC to the second, or a placeholder when unset", () => {
    expect(formatTime(timestampFromMs(Date.UTC(2027, 0, 31, 8, 5, 9, 123)), "never")).to.equal("2027-01-31T08:05:09Z");
    expect(formatTime(undefined, "never")).to.equal("never");
  });

  it("lists keys with short rights, 'never' for no expiry and no use", () => {
    const key = create(ApiKeySchema, {
      id: "K1",
      name: "ci",
      state: ApiKeyState.DISABLED,
      rights: [Right.USER_INFO, Right.USER_ALL],
      createdAt: timestampFromMs(NOW),
    });
    const [header, row] = apiKeysTable([key]).split("\n");
    expect(header).to.match(/^ID\s+NAME\s+STATE\s+RIGHTS\s+CREATED\s+EXPIRES\s+LAST USED\s+LAST IP\s+NETWORKS$/);
    expect(row!.split(/\s+/)).to.deep.equal(["K1", "ci", "disabled", "USER_INFO,USER_ALL", "2026-01-15T12:00:00Z", "never", "never", "-", "any"]);
    expect(apiKeysTable([])).to.equal("No API keys.\n");
  });

  it("shows a key past its expiry as expired, in the table and the block, not as active", () => {
    const past = timestampFromMs(Date.now() - DAY);
    const future = timestampFromMs(Date.now() + DAY);
    const key = (state: ApiKeyState, expiresAt: typeof past) => create(ApiKeySchema, { id: "K1", name: "ci", state, rights: [Right.USER_INFO], expiresAt });
    const stateColumn = (k: ReturnType<typeof key>) => apiKeysTable([k]).split("\n")[1]!.split(/\s{3,}/)[2];
    expect(stateColumn(key(ApiKeyState.ACTIVE, past))).to.equal("expired");
    expect(stateColumn(key(ApiKeyState.DISABLED, past))).to.equal("disabled, expired");
    expect(stateColumn(key(ApiKeyState.ACTIVE, future))).to.equal("active");
    expect(apiKeyBlock(key(ApiKeyState.ACTIVE, past))).to.match(/^State:\s+expired$/m);
  });

  it("prints a new key once, last, after the notice", () => {
    const text = newKeyText(create(ApiKeySchema, { id: "K1" }), "NNSXS.K1.SECRET");
    expect(text.split("NNSXS.K1.SECRET")).to.have.length(2);
    expect(text.trimEnd().endsWith(`${KEY_NOTICE}\n\nNNSXS.K1.SECRET`)).to.equal(true);
  });
});

describe("cli: rights flags", () => {
  it("generates one --right-* flag per Right value except RIGHT_INVALID, named like TTN's", () => {
    const flags = rightFlags(RightSchema.values);
    expect(flags.map((f) => f.right)).to.deep.equal(RightSchema.values.filter((v) => v.number !== 0).map((v) => v.number));
    expect(flags.map((f) => f.flag)).to.include.members(["--right-user-info", "--right-user-all", "--right-admin-api-keys", "--right-all"]);
    for (const flag of flags) expect(flag.flag).to.equal(`--${flag.name.toLowerCase().replaceAll("_", "-")}`);
  });

  it("gives a value added to the enum its flag with no code change", () => {
    const values = [...RightSchema.values, { name: "RIGHT_USER_FOO", number: 11 }];
    expect(rightFlags(values).at(-1)).to.deep.equal({ flag: "--right-user-foo", name: "RIGHT_USER_FOO", right: 11 });
  });

  it("reads the flags and --rights given on a command, without repeats", () => {
    const command = new Command("x").exitOverride();
    const read = addRightsOptions(command);
    command.parse(["--right-user-info", "--rights", "user_info,Right_User_Delete", "--rights", "admin-api-keys"], { from: "user" });
    expect(read(command.opts())).to.deep.equal([Right.USER_INFO, Right.USER_DELETE, Right.ADMIN_API_KEYS]);
    const none = new Command("y").exitOverride();
    const readNone = addRightsOptions(none);
    none.parse([], { from: "user" });
    expect(readNone(none.opts())).to.equal(undefined);
  });

  it("accepts full and short names in any case, and lists the valid names for unknown ones", () => {
    expect(parseRightNames(["RIGHT_USER_INFO, user_settings_api_keys", "ALL"])).to.deep.equal([Right.USER_INFO, Right.USER_SETTINGS_API_KEYS, Right.ALL]);
    expect(() => parseRightNames(["user_info,bogus,RIGHT_INVALID"]))
      .to.throw(UsageError, /unknown rights `bogus`, `RIGHT_INVALID`.*user_info.*admin_api_keys.*all/);
  });
});

describe("cli: expiry and flag values", () => {
  it("parses RFC 3339 with Z or an offset and rejects anything else", () => {
    expect(parseRfc3339("2027-01-31T00:00:00Z")).to.equal(Date.UTC(2027, 0, 31));
    expect(parseRfc3339("2027-01-31T02:00:00.5+02:00")).to.equal(Date.UTC(2027, 0, 31, 0, 0, 0, 500));
    for (const bad of ["2027-01-31", "2027-02-30T00:00:00Z", "2027-01-31T24:00:00Z", "tomorrow", "2027-01-31T00:00:00", "1800000000"]) {
      expect(parseRfc3339(bad), bad).to.equal(undefined);
    }
  });

  it("resolves --expiry, --expires-in and --no-expiry", () => {
    expect(resolveExpiry({}, NOW)).to.deep.equal({ kind: "unchanged" });
    expect(resolveExpiry({ expiry: false }, NOW)).to.deep.equal({ kind: "never" });
    const at = resolveExpiry({ expiry: "2027-01-31T00:00:00Z" }, NOW);
    expect(at.kind === "at" && timestampMs(at.expiresAt)).to.equal(Date.UTC(2027, 0, 31));
    const inDays = resolveExpiry({ expiresIn: "90d" }, NOW);
    expect(inDays.kind === "at" && timestampMs(inDays.expiresAt)).to.equal(NOW + 90 * DAY);
  });

  it("refuses past, unparsable, zero and combined expiries with a useful message", () => {
    expect(() => resolveExpiry({ expiry: "2020-01-01T00:00:00Z" }, NOW)).to.throw(UsageError, /in the past/);
    expect(() => resolveExpiry({ expiry: "next week" }, NOW)).to.throw(UsageError, /not an RFC 3339 time.*2027-01-31T00:00:00Z/);
    expect(() => resolveExpiry({ expiresIn: "0" }, NOW)).to.throw(UsageError, /must be longer than 0/);
    // A unit Keyward does not know is named, with the units it does know.
    expect(() => resolveExpiry({ expiresIn: "1y" }, NOW)).to.throw(UsageError, /--expires-in `1y` has the unknown unit `y`; the units are ms, s, m, h, d \(e\.g\. 365d/);
    expect(() => resolveExpiry({ expiresIn: "2w" }, NOW)).to.throw(UsageError, /unknown unit `w`/);
    expect(() => resolveExpiry({ expiresIn: "90" }, NOW)).to.throw(UsageError, /has no unit; the units are ms, s, m, h, d \(e\.g\. 90s\)/);
    expect(() => parseGracePeriod("1hour")).to.throw(UsageError, /unknown unit `hour`/);
    expect(() => resolveExpiry({ expiresIn: "3 months" }, NOW)).to.throw(UsageError, /90d/);
    expect(() => resolveExpiry({ expiry: "2027-01-31T00:00:00Z", expiresIn: "1d" }, NOW)).to.throw(UsageError, /--expires-in cannot be combined with --expiry/);
    expect(() => resolveExpiry({ expiry: false, expiresIn: "1d" }, NOW)).to.throw(UsageError, /--no-expiry/);
  });

  it("parses grace periods and page sizes", () => {
    expect(Number(parseGracePeriod("1h30m").seconds)).to.equal(5400);
    expect(() => parseGracePeriod("soon")).to.throw(UsageError, /--grace-period/);
    expect(parsePageSize("2")).to.equal(2);
    for (const bad of ["0", "1001", "-1", "2.5", "ten"]) expect(() => parsePageSize(bad), bad).to.throw(UsageError, /1 to 1000/);
  });

  it("derives state words from the enums", () => {
    expect(userStates.words).to.deep.equal(["active", "suspended"]);
    expect(apiKeyStates.words).to.deep.equal(["active", "disabled"]);
    expect(apiKeyStates.parse("Disabled")).to.equal(ApiKeyState.DISABLED);
    expect(userStates.label(UserState.SUSPENDED)).to.equal("suspended");
  });
});

describe("cli: update masks from flags", () => {
  it("builds a user's mask from the flags given only", () => {
    expect(userUpdate({ name: "N", admin: false })).to.deep.equal({ user: { name: "N", admin: false }, paths: ["name", "admin"] });
    expect(userUpdate({ state: "suspended", email: "" })).to.deep.equal({ user: { email: "", state: UserState.SUSPENDED }, paths: ["email", "state"] });
    expect(() => userUpdate({ url: "x", json: true })).to.throw(UsageError, /nothing to update/);
  });

  it("builds a key's mask, with expires_at unset for --no-expiry", () => {
    const update = apiKeyUpdate({ name: "n", state: "disabled", expiresIn: "1d" }, [Right.USER_INFO], NOW);
    expect(update.paths).to.deep.equal(["name", "rights", "state", "expires_at"]);
    expect(update.apiKey.state).to.equal(ApiKeyState.DISABLED);
    expect(timestampMs(update.apiKey.expiresAt as never)).to.equal(NOW + DAY);
    expect(apiKeyUpdate({ expiry: false }, undefined, NOW)).to.deep.equal({ apiKey: {}, paths: ["expires_at"] });
    expect(() => apiKeyUpdate({}, undefined, NOW)).to.throw(UsageError, /nothing to update/);
  });
});

describe("cli: errors, secrets and pages", () => {
  it("formats an API error as CODE REASON: message with one line per field violation", () => {
    const error = new ConnectError("invalid request: name: too long", Code.InvalidArgument, undefined, [
      { desc: ErrorInfoSchema, value: { reason: "VALIDATION_FAILED", domain: "keyward" } },
      { desc: BadRequestSchema, value: { fieldViolations: [{ field: "name", description: "too long" }, { field: "rights", description: "required" }] } },
    ]);
    expect(formatApiError(error, "http://x")).to.equal(
      "error: INVALID_ARGUMENT VALIDATION_FAILED: invalid request: name: too long\n  - name: too long\n  - rights: required\n",
    );
  });

  it("names the URL when the server cannot be reached", () => {
    const error = new ConnectError("connect ECONNREFUSED 127.0.0.1:1", Code.Unavailable, undefined, undefined, Object.assign(new Error("x"), { code: "ECONNREFUSED" }));
    expect(formatApiError(error, "http://127.0.0.1:1")).to.match(/^error: cannot reach Keyward at http:\/\/127\.0\.0\.1:1 .*KEYWARD_URL/);
  });

  it("redacts registered keys and their secret part", () => {
    const key = `NNSXS.${"A".repeat(39)}.${"B".repeat(52)}`;
    registerSecret(key);
    expect(redact(`got ${key} and ${"B".repeat(52)} and short`)).to.equal("got [redacted] and [redacted] and short");
  });

  it("walks every page with --all and stops after one without", async () => {
    const pages: Record<string, { items: number[]; nextPageToken: string; totalSize: number }> = {
      "": { items: [1, 2], nextPageToken: "p2", totalSize: 5 },
      p2: { items: [3, 4], nextPageToken: "p3", totalSize: 5 },
      p3: { items: [5], nextPageToken: "", totalSize: 5 },
    };
    const fetch = async (token: string) => pages[token]!;
    expect(await fetchPages(fetch, "", true)).to.deep.equal({ items: [1, 2, 3, 4, 5], nextPageToken: "", totalSize: 5 });
    expect(await fetchPages(fetch, "p2", false)).to.deep.equal(pages["p2"]);
  });
});
