/**
 * Runs one escalation sequence against the real server: builds a fresh world, makes each step with a
 * credential the attacker holds, harvests every credential an answer hands out, and after every step
 * judges the stored records (support/escalation-model.ts). The first step that breaks the invariant
 * throws a {@link SequenceViolation} carrying the whole readable trace.
 */
import { AuthService } from "../../../gen/keyward/v1/auth_pb.js";
import { SessionRegistry } from "../../../gen/keyward/v1/session_pb.js";
import type { SqliteStore } from "../../../src/store/sqlite/sqlite-store.js";
import type { PasswordRecord } from "../../../src/store/store.js";
import type { Doors } from "./doors.js";
import { ChosenPasswords, changeProblems, credentialProblems, Names, powerOf, rightsText } from "./escalation-model.js";
import { passwordName, send, STEP_KINDS, type Step } from "./escalation-steps.js";
import { buildWorld, credentialOf, type AttackerShape, type Credential, type Snapshot, type WorldOptions, type WorldReader } from "./escalation-world.js";
import { issuedKeys } from "./secret-scan.js";

/** What every sequence of one run shares. */
export interface Harness {
  readonly store: SqliteStore;
  readonly reader: WorldReader;
  readonly doors: Doors;
  readonly httpUrl: string;
  /** The fixture users' password, hashed once (the attacker never learns it). */
  readonly fixturePassword: PasswordRecord;
  readonly stats: { sequences: number; calls: number; answeredOk: Map<string, number> };
}

/** The invariant broke: the message is the sequence as run, and what broke after its last step. */
export class SequenceViolation extends Error {
  override readonly name = "SequenceViolation";

  constructor(
    message: string,
    /** The calls made, the last one breaking the invariant (later steps of the sequence never ran). */
    readonly calls: number,
  ) {
    super(message);
  }
}

const rpcName = (rpc: string) => (rpc.startsWith("/") ? `GET ${rpc}` : rpc.split(".").slice(-2).join("."));

export async function runSequence(harness: Harness, shape: AttackerShape, options: WorldOptions, steps: readonly Step[]): Promise<void> {
  harness.stats.sequences++;
  const world = await buildWorld(harness.store, shape, options, harness.fixturePassword);
  const names = new Names(world);
  let before = harness.reader.snapshot(world);
  names.learn(before);
  const start = powerOf(world.start, before).rights;
  const held: Credential[] = [world.start];
  const passwords = new ChosenPasswords();
  let lastPasswordSet: { userId: string; password: string } | undefined;
  const trace = [
    `attacker starts with ${world.start.label}: effective rights ${rightsText(start)}; its own user ${options.attackerHasPassword ? "has a password it does not know" : "has no password"}`,
  ];

  for (const [index, step] of steps.entries()) {
    const credential = step.cred < 0 ? held[held.length - 1]! : held[step.cred % held.length]!;
    const power = powerOf(credential, before);
    const call = STEP_KINDS[step.rpc]!.resolve(step.args, { world, before, names, callerUserId: power.owner ?? world.userIds.attacker, lastPasswordSet });
    const caller = call.anonymous ? undefined : power;
    for (const password of call.chooses ?? []) passwords.choose(password);
    const answer = await send(step.door, call, call.anonymous ? undefined : credential.token, harness.doors, harness.httpUrl);
    harness.stats.calls++;
    if (answer.ok) harness.stats.answeredOk.set(step.rpc, (harness.stats.answeredOk.get(step.rpc) ?? 0) + 1);
    if (answer.ok && call.setsPasswordOf !== undefined) lastPasswordSet = { userId: call.setsPasswordOf, password: call.chooses![0]! };
    const after = harness.reader.snapshot(world);
    names.learn(after);
    let issued = "";
    if (answer.issued !== undefined) {
      issuedKeys.add(answer.issued);
      const made = credentialOf("", answer.issued);
      const label = `${made.kind === "session" ? "token" : "secret"} of ${names.of(made.id)} (from call ${index + 1})`;
      held.push(credentialOf(label, answer.issued));
      issued = ` [now held: ${label}]`;
    }
    trace.push(
      `${index + 1}. ${step.door.padEnd(8)} ${rpcName(step.rpc)} as ${call.anonymous ? "nobody (public)" : credential.label}${call.summary ? `: ${call.summary}` : ""} → ${answer.text}${issued}`,
    );

    const problems: string[] = [];
    if (answer.fault !== undefined) problems.push(`a fault, not an answer: ${answer.fault}`);
    const claimed = (answer.claimedRights ?? []).filter((r) => !start.has(r));
    if (claimed.length > 0) problems.push(`the server says ${credential.label} holds ${rightsText(claimed)} beyond the start rights`);
    problems.push(...changeProblems(before, after, { caller, method: call.method }, start, world, names));
    problems.push(...(await credentialProblems(after, held, passwords, start, names, passwordName, world)));
    if (problems.length > 0) {
      problems.push(...(await confirmSignIns(harness, after, passwords, start, names)));
      throw new SequenceViolation(`${trace.map((line) => `    ${line}`).join("\n")}\n  after call ${index + 1}:\n${problems.map((p) => `    - ${p}`).join("\n")}`, index + 1);
    }
    before = after;
  }
}

/**
 * For a failure report: signs in with each chosen password that matches a user broader than the start
 * rights, and asks the server what the session holds, so the report shows the escalation happen.
 */
async function confirmSignIns(harness: Harness, snapshot: Snapshot, passwords: ChosenPasswords, start: ReadonlySet<number>, names: Names): Promise<string[]> {
  const lines: string[] = [];
  for (const { userId, password } of await passwords.matches(snapshot)) {
    const signIn = { method: SessionRegistry.method.createSession, request: { userId, password }, summary: "" };
    const session = await send("rest", signIn, undefined, harness.doors, harness.httpUrl);
    if (session.issued === undefined) continue;
    issuedKeys.add(session.issued);
    const info = await send("rest", { method: AuthService.method.getAuthInfo, request: {}, summary: "" }, session.issued, harness.doors, harness.httpUrl);
    const extra = (info.claimedRights ?? []).filter((r) => !start.has(r));
    if (extra.length > 0) lines.push(`confirmed: signing in as ${names.of(userId)} with ${passwordName(password)} gave a session that GetAuthInfo says holds ${rightsText(info.claimedRights!)}`);
  }
  return lines;
}
