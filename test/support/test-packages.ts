/**
 * The programs from Debian packages that some suites drive: a browser, the two gateways, compose's
 * validator, `ip` and `script`. This one module decides, for every suite, what happens when one is
 * missing:
 *
 * - by default the suite skips, printing ONE line that names the package to install, so `npm test` passes
 *   on a fresh machine and says what it did not test;
 * - with `KEYWARD_REQUIRE_TEST_PACKAGES=1` (`.ci/run` sets it, after installing them all) the same line
 *   fails the suite instead, so CI never skips one.
 *
 * `KEYWARD_TEST_HIDE_PACKAGES=chromium,nginx,…` (package names) makes those count as missing, to try a
 * fresh machine's run on this one.
 */
import { accessSync, constants } from "node:fs";
import { delimiter, isAbsolute, join } from "node:path";

/** A program a suite runs, and the Debian package that installs it. */
export interface TestPackage {
  /** A command looked up on PATH, or an absolute path. */
  readonly program: string;
  readonly debianPackage: string;
}

export const PACKAGES = {
  /** The console tests drive Debian's Chromium with playwright-core, which never downloads a browser. */
  chromium: { program: "/usr/bin/chromium", debianPackage: "chromium" },
  nginx: { program: "nginx", debianPackage: "nginx" },
  caddy: { program: "caddy", debianPackage: "caddy" },
  dockerCompose: { program: "docker-compose", debianPackage: "docker-compose" },
  /** Network namespaces for a client on another (virtual) machine. */
  ip: { program: "ip", debianPackage: "iproute2" },
  /** util-linux's `script` gives the CLI a terminal. */
  script: { program: "script", debianPackage: "bsdutils" },
} as const satisfies Record<string, TestPackage>;

/** Set by .ci/run: a missing package (or anything else a suite would skip for) fails instead. */
export const REQUIRE_VARIABLE = "KEYWARD_REQUIRE_TEST_PACKAGES";
/** Package names to treat as missing. */
export const HIDE_VARIABLE = "KEYWARD_TEST_HIDE_PACKAGES";

function hidden(env: NodeJS.ProcessEnv): Set<string> {
  return new Set((env[HIDE_VARIABLE] ?? "").split(",").map((name) => name.trim()).filter((name) => name !== ""));
}

function executable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/** Where `pkg`'s program is, or undefined when it is not installed (or hidden). */
export function findProgram(pkg: TestPackage, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (hidden(env).has(pkg.debianPackage)) return undefined;
  if (isAbsolute(pkg.program)) return executable(pkg.program) ? pkg.program : undefined;
  return (env["PATH"] ?? "")
    .split(delimiter)
    .filter((dir) => dir !== "")
    .map((dir) => join(dir, pkg.program))
    .find(executable);
}

/** Whether `pkg`'s program is installed (and not hidden). */
export function installed(pkg: TestPackage): boolean {
  return findProgram(pkg) !== undefined;
}

/**
 * Skips the suite or test of `context` (call it from a `before` hook or a test), saying so in one line,
 * unless every package is installed; fails instead under {@link REQUIRE_VARIABLE}. `suite` names what is
 * skipped, e.g. "test/console".
 */
export function requirePackages(context: Mocha.Context, suite: string, ...packages: TestPackage[]): void {
  const missing = packages.filter((pkg) => !installed(pkg));
  if (missing.length === 0) return;
  const programs = missing.map((pkg) => pkg.program).join(", ");
  const install = `apt-get install ${[...new Set(missing.map((pkg) => pkg.debianPackage))].join(" ")}`;
  skipOrFail(context, `${suite}: ${programs} missing — ${install}`);
}

/**
 * Skips with one loud line, `SKIPPED <why>`, or, under {@link REQUIRE_VARIABLE}, fails with it: for what a
 * suite needs beyond a package (root for network namespaces).
 */
export function skipOrFail(context: Mocha.Context, why: string): void {
  if (process.env[REQUIRE_VARIABLE] === "1") {
    throw new Error(`${why} (${REQUIRE_VARIABLE}=1: CI installs every test package and skips nothing)`);
  }
  console.log(`SKIPPED ${why}`);
  context.skip();
}
