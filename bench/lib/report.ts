/**
 * The bench's results: their shape (bench/results.json), the verdicts (docs/performance.md, "Running the
 * bench"), and the table.
 */
import type { EdgeResult } from "../edge.js";
import type { EventsServerFigures } from "../events.js";
import type { ManagementResult, ScaleRatio } from "../management.js";
import type { MeteringResult } from "../metering.js";
import type { MicroResult } from "../micro/verify-bench.js";
import { median } from "./stats.js";
import { count, kindsText } from "./counts-text.js";

/** One load round as the generators report it, with the server's CPU (in cores) over its measured window. */
export interface LoadRound {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly errors: number;
  readonly errorsExact?: boolean;
  readonly errorKinds: Record<string, number>;
  readonly serverCpu: number;
  readonly generatorCpu: number;
}

/** One load measurement, aggregated over its rounds (medians; calls and errors summed). */
export interface LoadRow {
  readonly rps: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly requests: number;
  readonly errors: number;
  readonly errorsExact: boolean;
  readonly errorKinds: Record<string, number>;
  /** CPU share of one core, server (all its processes) and load generator, during the measured windows. */
  readonly serverCpu: number;
  readonly generatorCpu: number;
  /** Server CPU time per call in µs: its CPU share over the window divided by the call rate. */
  readonly cpuUsPerCall: number;
  readonly roundsRps: number[];
  readonly roundsCpuUsPerCall: number[];
}

/** Server CPU µs per call of one round. */
export function cpuUsPerCall(round: LoadRound): number {
  return (round.serverCpu / round.rps) * 1e6;
}

/** Median rate and latencies over the rounds; calls and errors summed. */
export function aggregateRounds(rounds: readonly LoadRound[]): LoadRow {
  const errorKinds: Record<string, number> = {};
  for (const round of rounds) for (const [kind, n] of Object.entries(round.errorKinds)) errorKinds[kind] = (errorKinds[kind] ?? 0) + n;
  return {
    rps: median(rounds.map((r) => r.rps)),
    p50Ms: median(rounds.map((r) => r.p50Ms)),
    p99Ms: median(rounds.map((r) => r.p99Ms)),
    requests: rounds.reduce((sum, r) => sum + r.requests, 0),
    errors: rounds.reduce((sum, r) => sum + r.errors, 0),
    errorsExact: rounds.every((r) => r.errorsExact !== false),
    errorKinds,
    serverCpu: median(rounds.map((r) => r.serverCpu)),
    generatorCpu: median(rounds.map((r) => r.generatorCpu)),
    cpuUsPerCall: median(rounds.map(cpuUsPerCall)),
    roundsRps: rounds.map((r) => Math.round(r.rps)),
    roundsCpuUsPerCall: rounds.map((r) => Math.round(cpuUsPerCall(r))),
  };
}

/**
 * A ratio of two measurements taken in the same rounds: the median of the per-round ratios (each round
 * measured both back to back, so both saw the same machine). `throughput` is a's rate over b's (printed,
 * never judged); `cpu` is a's server CPU per call over b's: "a costs `cpu` times what b costs", the figure
 * the verdicts judge.
 */
export interface RatioRow {
  readonly throughput: number;
  readonly throughputRounds: number[];
  readonly cpu: number;
  readonly cpuRounds: number[];
}

/** The per-round ratios of `a` to `b` (rounds paired by index). */
export function pairedRatio(a: readonly LoadRound[], b: readonly LoadRound[]): RatioRow {
  const n = Math.min(a.length, b.length);
  const throughputRounds: number[] = [];
  const cpuRounds: number[] = [];
  for (let i = 0; i < n; i++) {
    throughputRounds.push(a[i]!.rps / b[i]!.rps);
    cpuRounds.push(cpuUsPerCall(a[i]!) / cpuUsPerCall(b[i]!));
  }
  return { throughput: median(throughputRounds), throughputRounds, cpu: median(cpuRounds), cpuRounds };
}

/**
 * A verdict, or (`judged: false`) an information row: a figure an earlier issue judged that is printed
 * beside its old goal and never fails the run.
 */
export interface Target {
  readonly id: string;
  readonly description: string;
  readonly value: number | undefined;
  readonly comparator: ">=" | "<=";
  readonly target: number;
  readonly judged: boolean;
  /** A judged target that could not be measured fails; an information row has no verdict. */
  readonly pass: boolean | undefined;
  readonly rounds?: number[];
  readonly note?: string;
}

/** What a `npm run bench` run found; bench/results.json. */
export interface Results {
  mode: "full" | "quick";
  startedAt: string;
  seconds: number;
  commit: string;
  environment: {
    node: string;
    cpu: string;
    cores: number;
    loadAverageBefore: string;
    loadAverageAfter: string;
    server: string;
    /** The Node flags every server of the run (Keyward and the baselines) ran with. */
    nodeFlags: string[];
  };
  settings: {
    grpcGenerator: string;
    grpcConcurrency: string;
    httpGenerator: string;
    httpConcurrency: string;
    rounds: number;
    warmupRoundMs: number;
    durationMs: number;
    keys: number;
  };
  grpc: {
    getAuthInfo: LoadRow;
    health: LoadRow;
    noop: LoadRow;
    getAuthInfoWorkers: LoadRow;
    /** Full mode only: the machine's own scaling. */
    noopWorkers: LoadRow | undefined;
    errorsChecked: string;
  };
  http: {
    rest: LoadRow;
    connect: LoadRow;
    connectBinary: LoadRow;
    grpcWeb: LoadRow;
    forwardAuth: LoadRow;
    bareHttp: LoadRow;
    restWorkers: LoadRow;
    /** Full mode only: the machine's own scaling. */
    bareHttpWorkers: LoadRow | undefined;
  };
  ratios: {
    connectJsonVsRest: RatioRow;
    connectBinaryVsRest: RatioRow;
    grpcWebVsRest: RatioRow;
    grpcVsHealth: RatioRow;
    grpcVsNoop: RatioRow;
    healthVsNoop: RatioRow;
    restVsBare: RatioRow;
    forwardAuthVsBare: RatioRow;
    grpcWorkers: RatioRow;
    restWorkers: RatioRow;
    /** The machine's own scaling: the bare servers in two node:cluster processes over one (full mode). */
    noopWorkers: RatioRow | undefined;
    bareHttpWorkers: RatioRow | undefined;
  };
  verification: MicroResult;
  memory: {
    idleMB: number;
    storedIdleMB: number;
    storedMB: number;
    distinctKeys: number;
    distinctKeyErrors: number;
    peakUnderLoadMB: number;
    afterLoadMB: number;
    highWaterMB: number;
  };
  metering: MeteringResult;
  management: ManagementResult;
  /** Full mode only. */
  events: { store: Record<string, number>; server: EventsServerFigures } | undefined;
  /** Full mode only (quick stays under its time budget without it). */
  edge: EdgeResult | undefined;
  targets: Target[];
}

/** The verdicts (docs/performance.md, "Running the bench"), each a ratio of server CPU per call in this run, and the information rows. */
export function evaluateTargets(r: Results): Target[] {
  const verdict = (id: string, description: string, value: number | undefined, comparator: ">=" | "<=", target: number, rounds?: number[], note?: string): Target => ({
    id,
    description,
    value,
    comparator,
    target,
    judged: true,
    // A judged figure that was not measured is a missed verdict, not a pass.
    pass: value === undefined || Number.isNaN(value) ? false : comparator === ">=" ? value >= target : value <= target,
    ...(rounds === undefined ? {} : { rounds }),
    ...(note === undefined ? {} : { note: value === undefined || Number.isNaN(value) ? `not measured: ${note}` : note }),
  });
  const info = (id: string, description: string, value: number | undefined, comparator: ">=" | "<=", target: number, note?: string): Target => ({
    id,
    description,
    value,
    comparator,
    target,
    judged: false,
    pass: undefined,
    ...(note === undefined ? {} : { note }),
  });
  const q = r.ratios;
  const cpu = (id: string, description: string, row: RatioRow, target: number) => verdict(id, description, row.cpu, "<=", target, row.cpuRounds);
  const loadRows = [...Object.values(r.grpc), ...Object.values(r.http)].filter((row): row is LoadRow => typeof row === "object" && row !== undefined);
  const edgeSides = r.edge ? [r.edge.direct, r.edge.withAuth, r.edge.sequential?.direct, r.edge.sequential?.withAuth] : [];
  const edgeErrors = edgeSides.reduce((sum, side) => sum + (side?.errors ?? 0), 0);
  const errors = loadRows.reduce((sum, row) => sum + row.errors, 0) + r.memory.distinctKeyErrors + edgeErrors + r.metering.server.errors;
  const m = r.metering.server;
  const g = r.management;
  const scale = (id: string, what: string, row: ScaleRatio) =>
    verdict(`management.${id}`, `${what}: CPU per call, ${count(largeRows(r, id))} rows / ${count(g.rows.small)}`, row.ratio, "<=", 1.3, row.rounds);
  const v = r.verification;
  const edgeNote = r.edge === undefined ? "full mode only" : r.edge.available ? undefined : r.edge.note;
  return [
    // Target 1: every HTTP door of GetAuthInfo against REST's.
    cpu("connect.json", "Connect JSON GetAuthInfo / REST, CPU per call", q.connectJsonVsRest, 1.5),
    cpu("connect.binary", "Connect binary GetAuthInfo / REST, CPU per call", q.connectBinaryVsRest, 1.5),
    cpu("grpcWeb", "gRPC-Web GetAuthInfo / REST, CPU per call", q.grpcWebVsRest, 1.5),
    // Target 2.
    cpu("grpc.vsHealth", "gRPC GetAuthInfo / Keyward health, CPU per call", q.grpcVsHealth, 1.25),
    cpu("grpc.vsNoop", "gRPC GetAuthInfo / bare grpc-js no-op, CPU per call", q.grpcVsNoop, 1.5),
    // Targets 3 and 4.
    cpu("rest.vsBare", "REST GetAuthInfo / bare node:http (same JSON), CPU per call", q.restVsBare, 2.5),
    cpu("forwardAuth.vsBare", "forward auth check / bare node:http, CPU per call", q.forwardAuthVsBare, 2),
    // Target 5: the twin's CPU is summed over its primary and workers.
    cpu("workers.grpc", "gRPC --workers 2 / one worker, CPU per call", q.grpcWorkers, 1.1),
    cpu("workers.rest", "REST --workers 2 / one worker, CPU per call", q.restWorkers, 1.1),
    // Metering (ARCHITECTURE.md, "Keys"): a metered call at most 10 % above the same call without.
    verdict("metering.rate", "metering: auth_info with a rate limit / without, CPU per call", m.ratio.rate, "<=", 1.1, m.ratioRounds.rate),
    verdict("metering.credits", "metering: auth_info with usage credits / without, CPU per call", m.ratio.credits, "<=", 1.1, m.ratioRounds.credits),
    verdict("metering.both", "metering: auth_info with both / without, CPU per call", m.ratio.both, "<=", 1.1, m.ratioRounds.both),
    verdict("metering.forwardAuth", "metering: forward auth with a rate limit / without, CPU per call", m.forwardAuth.ratio, "<=", 1.1, m.forwardAuth.ratioRounds),
    // Target 6.
    scale("listApiKeys", "ListApiKeys, first page of one user's keys", g.listApiKeys),
    scale("listUsers", "ListUsers, first page", g.listUsers),
    scale("listEvents", "ListEvents, first page", g.listEvents),
    verdict("management.createKey", "CreateApiKey / authenticated GetAuthInfo, CPU per call", g.createKey.ratio, "<=", 3, g.createKey.rounds),
    verdict("management.startup", `startup CPU, ${count(g.rows.keys)} keys and ${count(g.rows.users)} users / empty store`, g.startup.ratio, "<=", 1.5, g.startup.rounds),
    // Target 7.
    verdict("memory.large", `server peak RSS on the large store (${count(g.rows.keys)} keys), MB`, g.peakRssMB, "<=", 200),
    verdict("memory.load", `server peak RSS during the load phases (${count(r.settings.keys)} keys), MB`, r.memory.peakUnderLoadMB, "<=", 200),
    verdict("errors", "error responses in all load phases", errors, "<=", 0),
    // Retired targets: printed beside their old goals, never judged.
    info("verify.cached", "cached verify, ops per CPU-second on one core", v.cached.opsPerSec, ">=", 1_000_000),
    info("verify.uncached", "uncached verify (SQLite), ops per CPU-second", v.uncachedSmall.opsPerSec, ">=", 60_000),
    info("verify.growth", `uncached growth ${count(v.large)} / ${count(v.small)} keys, time per verify`, v.growthRatio, "<=", 1.2),
    info("throughput.grpcVsHealth", "gRPC GetAuthInfo / health, throughput", q.grpcVsHealth.throughput, ">=", 0.9),
    info("throughput.grpcVsNoop", "gRPC GetAuthInfo / bare no-op, throughput", q.grpcVsNoop.throughput, ">=", 0.75),
    info("throughput.restVsBare", "REST / bare node:http, throughput", q.restVsBare.throughput, ">=", 0.5),
    info("workers.grpc.throughput", "gRPC --workers 2 / one worker, throughput", q.grpcWorkers.throughput, ">=", 1.6),
    info("workers.rest.throughput", "REST --workers 2 / one worker, throughput", q.restWorkers.throughput, ">=", 1.6),
    info("edge.ratio", "edge: nginx + auth_request / nginx direct, throughput", r.edge?.ratio, ">=", 0.75, edgeNote),
    info("edge.addedP99", "edge: p99 added by auth_request, one connection, ms", r.edge?.sequential?.addedP99Ms, "<=", 1, edgeNote),
  ];
}

function largeRows(r: Results, id: string): number {
  const rows = r.management.rows;
  return id === "listApiKeys" ? rows.keysOfOneUser : id === "listUsers" ? rows.users : rows.events;
}

/** The judged targets that missed. */
export function failedTargets(r: Results): Target[] {
  return r.targets.filter((t) => t.judged && t.pass !== true);
}

/** The one table: a Markdown table, so it can go into the docs as it is. */
export function buildTable(r: Results): string {
  const t = (id: string) => r.targets.find((x) => x.id === id)!;
  const columns = 9;
  const rows: string[][] = [];
  const push = (cells: string[]) => rows.push([...cells, ...Array<string>(columns - cells.length).fill("")]);
  const section = (title: string) => push([`**${title}**`]);
  const judged = (target: Target | undefined) => (target ? [goal(target), verdictText(target)] : []);
  const load = (name: string, row: LoadRow | undefined, missing = "not measured") =>
    push(
      row
        ? [name, `${count(row.rps)}/s`, ms(row.p50Ms), ms(row.p99Ms), `${count(row.cpuUsPerCall)} µs`, `${pct(row.serverCpu)} / ${pct(row.generatorCpu)}`, errorsText(row)]
        : [name, missing],
    );
  const ratio = (name: string, row: RatioRow | undefined, target?: Target) =>
    push(
      row
        ? [
            name,
            `${row.throughput.toFixed(2)} (throughput)`,
            "",
            "",
            `**${row.cpu.toFixed(2)}×**`,
            "",
            `CPU ${row.cpuRounds.map((x) => x.toFixed(2)).join(" / ")}; throughput ${row.throughputRounds.map((x) => x.toFixed(2)).join(" / ")}`,
            ...judged(target),
          ]
        : [name, "full mode only"],
    );
  const figure = (name: string, result: string, cpuText: string, detail: string, target?: Target) => push([name, result, "", "", cpuText, "", detail, ...judged(target)]);

  const s = r.settings;
  const rounds = `${s.rounds} x ${s.durationMs / 1000} s after a ${s.warmupRoundMs / 1000} s warm-up round (median)`;
  const nodeGenerator = s.grpcGenerator.startsWith("Node") ? "; the Node generator competes with the server for CPU, so rates are understated (install h2load); CPU per call is not" : "";
  section(`gRPC: ${s.grpcGenerator}, ${s.grpcConcurrency}, ${rounds}${nodeGenerator}`);
  load("GetAuthInfo, authenticated (Keyward)", r.grpc.getAuthInfo);
  load("health Check, no auth (Keyward)", r.grpc.health);
  load("no-op unary (bare @grpc/grpc-js, channelz off)", r.grpc.noop);
  load("GetAuthInfo, Keyward --workers 2 (CPU: primary + workers)", r.grpc.getAuthInfoWorkers);
  ratio("GetAuthInfo / health", r.ratios.grpcVsHealth, t("grpc.vsHealth"));
  ratio("GetAuthInfo / bare no-op", r.ratios.grpcVsNoop, t("grpc.vsNoop"));
  ratio("health / bare no-op (information)", r.ratios.healthVsNoop);
  ratio("--workers 2 / one worker, GetAuthInfo", r.ratios.grpcWorkers, t("workers.grpc"));
  load("no-op unary, bare @grpc/grpc-js in 2 node:cluster processes", r.grpc.noopWorkers, "full mode only");
  ratio("the machine's own: bare no-op, 2 processes / 1 (information)", r.ratios.noopWorkers);
  section(`HTTP/1.1: ${s.httpGenerator}, ${s.httpConcurrency}, ${rounds}`);
  load("REST GET /api/v1/auth_info", r.http.rest);
  load("Connect JSON POST …/GetAuthInfo", r.http.connect);
  load("Connect binary POST …/GetAuthInfo (application/proto)", r.http.connectBinary);
  load("gRPC-Web POST …/GetAuthInfo (application/grpc-web+proto)", r.http.grpcWeb);
  load("forward auth GET /api/v1/auth/check (Keyward directly)", r.http.forwardAuth);
  load("REST's JSON from bare node:http", r.http.bareHttp);
  load("REST, Keyward --workers 2 (CPU: primary + workers)", r.http.restWorkers);
  ratio("Connect JSON / REST", r.ratios.connectJsonVsRest, t("connect.json"));
  ratio("Connect binary / REST", r.ratios.connectBinaryVsRest, t("connect.binary"));
  ratio("gRPC-Web / REST", r.ratios.grpcWebVsRest, t("grpcWeb"));
  ratio("REST / bare node:http", r.ratios.restVsBare, t("rest.vsBare"));
  ratio("forward auth / bare node:http", r.ratios.forwardAuthVsBare, t("forwardAuth.vsBare"));
  ratio("--workers 2 / one worker, REST", r.ratios.restWorkers, t("workers.rest"));
  load("REST's JSON from bare node:http in 2 node:cluster processes", r.http.bareHttpWorkers, "full mode only");
  ratio("the machine's own: bare node:http, 2 processes / 1 (information)", r.ratios.bareHttpWorkers);

  const m = r.metering.server;
  section(`Metering: autocannon, 32 connections, ${m.rounds} x ${m.durationMs / 1000} s after a warm-up round, a fresh server (median of per-round ratios)`);
  const meter = (name: string, us: number, plainUs: number, ratioValue: number, target: Target) =>
    figure(name, `${count(us)} µs / ${count(plainUs)} µs`, `**${ratioValue.toFixed(2)}×**`, `CPU ${(target.rounds ?? []).map((x) => x.toFixed(2)).join(" / ")}`, target);
  meter("auth_info, rate limit / no limit", m.authInfo.rate, m.authInfo.plain, m.ratio.rate, t("metering.rate"));
  meter("auth_info, usage credits / no limit", m.authInfo.credits, m.authInfo.plain, m.ratio.credits, t("metering.credits"));
  meter("auth_info, both / no limit", m.authInfo.both, m.authInfo.plain, m.ratio.both, t("metering.both"));
  meter("forward auth, rate limit / no limit", m.forwardAuth.rate, m.forwardAuth.plain, m.forwardAuth.ratio, t("metering.forwardAuth"));

  const g = r.management;
  section(
    `Management at scale (bench/management.ts): ${count(g.rows.users)} users, ${count(g.rows.keys)} keys (${count(g.rows.keysOfOneUser)} of one user), ` +
      `${count(g.rows.events)} events against ${count(g.rows.small)} rows; store ${g.build.reused ? "reused" : "built"} in ${g.build.seconds.toFixed(0)} s`,
  );
  const scaleRow = (name: string, row: ScaleRatio, target: Target) =>
    figure(name, `${count(row.largeUs)} µs / ${count(row.smallUs)} µs`, `**${row.ratio.toFixed(2)}×**`, `rounds ${row.rounds.map((x) => x.toFixed(2)).join(" / ")}`, target);
  scaleRow("ListApiKeys first page, large / small", g.listApiKeys, t("management.listApiKeys"));
  scaleRow("ListUsers first page, large / small", g.listUsers, t("management.listUsers"));
  scaleRow("ListEvents first page, large / small", g.listEvents, t("management.listEvents"));
  figure("CreateApiKey / GetAuthInfo", `${count(g.createKey.createUs)} µs / ${count(g.createKey.getAuthInfoUs)} µs`, `**${g.createKey.ratio.toFixed(2)}×**`, `rounds ${g.createKey.rounds.map((x) => x.toFixed(2)).join(" / ")}`, t("management.createKey"));
  figure(
    "CreateApiKey of the busiest user, large store / small (information)",
    `${count(g.createKeyScale.largeUs)} µs / ${count(g.createKeyScale.smallUs)} µs`,
    `${g.createKeyScale.ratio.toFixed(2)}×`,
    `rounds ${g.createKeyScale.rounds.map((x) => x.toFixed(2)).join(" / ")}`,
  );
  figure(
    "startup CPU, large store / empty",
    `${count(g.startup.largeMs)} ms / ${count(g.startup.emptyMs)} ms`,
    `**${g.startup.ratio.toFixed(2)}×**`,
    `rounds ${g.startup.rounds.map((x) => x.toFixed(2)).join(" / ")}; wall ${count(g.startup.wallLargeMs)} ms / ${count(g.startup.wallEmptyMs)} ms`,
    t("management.startup"),
  );
  figure("server peak RSS, large store, after all of the above", `${g.peakRssMB.toFixed(1)} MB`, "", "", t("memory.large"));

  const e = r.edge;
  if (e === undefined) {
    section("Edge: nginx auth_request (information): full mode only");
  } else {
    section(`Edge: nginx auth_request (forward auth), information, autocannon, ${e.connections} connections, ${e.rounds} x ${s.durationMs / 1000} s (median)`);
    if (e.available && e.direct && e.withAuth) {
      const edgeRow = (name: string, side: NonNullable<EdgeResult["direct"]>) =>
        push([name, `${count(side.rps)}/s`, ms(side.p50Ms), ms(side.p99Ms), "", "", kindsText(side.errors, side.errorKinds)]);
      edgeRow("nginx -> upstream, direct, saturated", e.direct);
      const perCheck = `${(e.keywardCpuUsPerCheck ?? NaN).toFixed(0)} µs per check`;
      edgeRow(`nginx + auth_request to Keyward -> upstream, saturated (Keyward CPU ${pct(e.keywardCpu ?? NaN)}, ${perCheck})`, e.withAuth);
      push(["with auth / direct, saturated", e.ratio!.toFixed(2), "", "", "", "", `rounds ${(e.ratioRounds ?? []).map((x) => x.toFixed(2)).join(" / ")}; p99 added ${ms(e.addedP99Ms!)}`, ...judged(t("edge.ratio"))]);
      if (e.sequential) {
        const oneRow = (name: string, side: NonNullable<EdgeResult["sequential"]>["direct"]) =>
          push([name, "", ms(side.p50Ms), ms(side.p99Ms), "", "", `${count(side.requests)} requests, ${count(side.errors)} errors`]);
        oneRow("nginx -> upstream, direct, one connection, one request at a time", e.sequential.direct);
        oneRow("nginx + auth_request to Keyward -> upstream, the same", e.sequential.withAuth);
        push(["p99 added by auth_request, one connection", ms(e.sequential.addedP99Ms), "", "", "", "", `p50 added ${ms(e.sequential.addedP50Ms)}`, ...judged(t("edge.addedP99"))]);
      }
    } else {
      push(["nginx auth_request", e.note, "", "", "", "", "", ...judged(t("edge.ratio"))]);
    }
  }
  const v = r.verification;
  section(`Verification (information): in-process, one core, ops per CPU-second (median of ${v.cached.rounds.length})`);
  const rate = (name: string, value: number, target?: Target) => push([name, `${count(value)} ops/s`, "", "", "", "", "", ...judged(target)]);
  rate("cached verify (parse, SHA-256, state, expiry)", v.cached.opsPerSec, t("verify.cached"));
  rate(`uncached verify, SQLite, ${count(v.small)} keys`, v.uncachedSmall.opsPerSec, t("verify.uncached"));
  rate(`uncached verify, SQLite, ${count(v.large)} keys`, v.uncachedLarge.opsPerSec);
  push([`growth ${count(v.large)} / ${count(v.small)} keys (time per verify)`, v.growthRatio.toFixed(2), "", "", "", "", "", ...judged(t("verify.growth"))]);
  rate("reference: TTN's PBKDF2-SHA256 x1000 per verify", v.pbkdf2.opsPerSec);
  rate("parts of a verify: parseKey", v.parse.opsPerSec);
  rate("parts of a verify: secret check (SHA-256, constant-time compare)", v.secretCheck.opsPerSec);
  const mem = r.memory;
  section(`Memory: Keyward server RSS (/proc/<pid>/status), one worker, ${count(s.keys)} keys`);
  const memory = (name: string, value: number, target?: Target) => push([name, `${value.toFixed(1)} MB`, "", "", "", "", "", ...judged(target)]);
  memory("idle, empty store", mem.idleMB);
  memory(`idle, ${count(s.keys)} keys stored`, mem.storedIdleMB);
  memory(`after verifying ${count(mem.distinctKeys)} distinct keys (cache holds 10,000)`, mem.storedMB);
  memory("peak during the load phases", mem.peakUnderLoadMB, t("memory.load"));
  memory(`after the load phases (VmHWM ${mem.highWaterMB.toFixed(1)} MB)`, mem.afterLoadMB);
  const ev = r.events?.server;
  if (ev === undefined) section("Events (information): full mode only");
  else {
    section("Events (information): one connection, one call at a time (bench/events.ts)");
    const noEvent = `authenticated calls wrote no event: ${ev.headBefore === ev.headAfter ? "yes" : "NO (a defect)"}`;
    figure("PATCH key (write + its event) / GET auth_info", `${count(ev.updateCpuUs)} µs / ${count(ev.authInfoCpuUs)} µs`, `${(ev.updateCpuUs / ev.authInfoCpuUs).toFixed(2)}×`, noEvent);
  }
  const errors = t("errors");
  push([`**Errors** in all load phases and the distinct-key calls`, String(errors.value), "", "", "", "", r.grpc.errorsChecked, ...judged(errors)]);

  const header = ["measurement", "result", "p50", "p99", "server CPU per call (ratio: × the baseline's)", "CPU server / load gen", "calls, errors / per-round ratios", "target", "verdict"];
  const lines = [header, header.map(() => "---"), ...rows].map((cells) => `| ${cells.join(" | ")} |`);
  const env = r.environment;
  const intro =
    `Keyward bench, ${r.mode} mode, ${r.startedAt.slice(0, 16).replace("T", " ")} UTC, commit ${r.commit}: ${env.cores} x ${env.cpu}, Node ${env.node}, ` +
    `server from ${env.server}; every server (Keyward and both baselines) ran with node ${env.nodeFlags.join(" ") || "(no flags)"}; ` +
    `/proc/loadavg ${env.loadAverageBefore} before, ${env.loadAverageAfter} after; ${r.seconds.toFixed(0)} s. ` +
    `Verdicts judge server CPU per call (utime + stime from /proc over each measured window, over the calls) as a ratio to a baseline measured in the same rounds: ` +
    `the median of the per-round ratios. Throughput is printed, never judged.`;
  const line = (x: Target) => `- ${x.description}: ${x.value === undefined || Number.isNaN(x.value) ? "n/a" : fmtValue(x.value)} (${goal(x)}) ${verdictText(x)}${x.note ? ` (${x.note})` : ""}`;
  const failed = failedTargets(r);
  const summary = failed.length === 0 ? `All ${r.targets.filter((x) => x.judged).length} verdicts pass.` : `${failed.length} verdict(s) missed: ${failed.map((x) => x.id).join(", ")}.`;
  return [
    intro,
    "",
    ...lines,
    "",
    "Verdicts:",
    ...r.targets.filter((x) => x.judged).map(line),
    "",
    "Information (retired targets, printed beside their old goals, never judged):",
    ...r.targets.filter((x) => !x.judged).map(line),
    "",
    summary,
  ].join("\n");
}

function goal(target: Target): string {
  const value = target.target < 10 ? target.target.toFixed(2) : count(target.target);
  return `${target.judged ? "" : "was "}${target.comparator === ">=" ? "≥" : "≤"} ${value}`;
}

function verdictText(target: Target): string {
  if (!target.judged) return "info";
  return target.pass ? "pass" : "**FAIL**";
}

function fmtValue(value: number): string {
  return Math.abs(value) >= 100 ? count(value) : value.toFixed(2);
}

function errorsText(row: LoadRow): string {
  const saturated = row.generatorCpu >= GENERATOR_SATURATED ? "; load generator near one full core: the server may be faster" : "";
  return `${count(row.requests)} calls, ${kindsText(row.errors, row.errorKinds)}${saturated}`;
}

/** A load generator using this share of a core or more may be what limits the rate. */
export const GENERATOR_SATURATED = 0.75;

function ms(value: number): string {
  return Number.isNaN(value) ? "" : `${value.toFixed(value < 10 ? 2 : 1)} ms`;
}

function pct(share: number): string {
  return Number.isNaN(share) ? "?" : `${Math.round(share * 100)}%`;
}
