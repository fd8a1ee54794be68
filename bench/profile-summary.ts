/**
 * Summarises V8 CPU profiles (`node --cpu-prof`, e.g. from `npm run bench -- --profile`): the functions
 * with the most self time and the most total (inclusive) time, as shares of all samples.
 *
 * Usage: node --import tsx bench/profile-summary.ts <file.cpuprofile>... [--top N] [--filter text]
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";
import { ROOT } from "./lib/processes.js";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
}

export interface FunctionCost {
  readonly name: string;
  readonly selfShare: number;
  readonly totalShare: number;
}

/** Self and inclusive time per function (by name and location), heaviest first by self time. */
export function summarizeProfile(profile: Profile): FunctionCost[] {
  const parent = new Map<number, number>();
  const byId = new Map<number, ProfileNode>();
  for (const node of profile.nodes) {
    byId.set(node.id, node);
    for (const child of node.children ?? []) parent.set(child, node.id);
  }
  const label = (node: ProfileNode) => {
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url === "" ? "" : ` ${url.startsWith("file://") ? relative(ROOT, new URL(url).pathname) : url}:${lineNumber + 1}`;
    return `${functionName || "(anonymous)"}${where}`;
  };
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  let all = 0;
  profile.samples.forEach((id, i) => {
    const dt = profile.timeDeltas[i] ?? 0;
    all += dt;
    let node = byId.get(id);
    if (!node) return;
    self.set(label(node), (self.get(label(node)) ?? 0) + dt);
    const seen = new Set<string>();
    while (node) {
      const name = label(node);
      if (!seen.has(name)) {
        seen.add(name);
        total.set(name, (total.get(name) ?? 0) + dt);
      }
      const up = parent.get(node.id);
      node = up === undefined ? undefined : byId.get(up);
    }
  });
  return [...total.keys()]
    .map((name) => ({ name, selfShare: (self.get(name) ?? 0) / all, totalShare: (total.get(name) ?? 0) / all }))
    .sort((a, b) => b.selfShare - a.selfShare);
}

function main(argv: string[]): void {
  const top = Number(argv[argv.indexOf("--top") + 1] ?? 25) || 25;
  const filter = argv.includes("--filter") ? argv[argv.indexOf("--filter") + 1] : undefined;
  const files = argv.filter((a, i) => a.endsWith(".cpuprofile") && argv[i - 1] !== "--filter");
  for (const file of files) {
    const costs = summarizeProfile(JSON.parse(readFileSync(file, "utf8")) as Profile);
    const pct = (x: number) => `${(100 * x).toFixed(1).padStart(5)}%`;
    console.log(`\n${file}\n  self   total  function`);
    const bySelf = costs.filter((c) => !filter || c.name.includes(filter)).slice(0, top);
    for (const c of bySelf) console.log(`${pct(c.selfShare)} ${pct(c.totalShare)}  ${c.name}`);
    console.log(`\n  by total time:`);
    const byTotal = [...costs].filter((c) => !filter || c.name.includes(filter)).sort((a, b) => b.totalShare - a.totalShare).slice(0, top);
    for (const c of byTotal) console.log(`${pct(c.selfShare)} ${pct(c.totalShare)}  ${c.name}`);
  }
}

if (process.argv[1] && import.meta.url.endsWith(process.argv[1].split("/").pop()!)) main(process.argv.slice(2));
