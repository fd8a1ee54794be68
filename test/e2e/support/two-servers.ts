// Two `keyward serve` processes on one SQLite file: what the across-processes tests (revocation, metering)
// start before their tests and stop after them.
import { expect } from "chai";
import { openDoors, type Doors } from "./doors.js";
import { Fixtures } from "./fixtures.js";
import { issuedKeys } from "./secret-scan.js";
import { removeDataDir, startServer, type ServerProcess } from "./server-process.js";

/** The two servers, a door to each, fixtures made through the first, and the admin key. */
export interface TwoServers {
  readonly first: ServerProcess;
  readonly second: ServerProcess;
  readonly here: Doors;
  readonly there: Doors;
  readonly fx: Fixtures;
  readonly admin: string;
}

/** Starts two servers with `args` on the first one's data directory. */
export async function startTwoServers(args: readonly string[]): Promise<TwoServers> {
  const first = await startServer({ args: [...args] });
  const second = await startServer({ dataDir: first.dataDir, args: [...args] });
  const here = openDoors(first.httpUrl, first.grpcAddress);
  const admin = first.adminKey();
  issuedKeys.add(admin);
  return { first, second, here, there: openDoors(second.httpUrl, second.grpcAddress), fx: new Fixtures(here, admin), admin };
}

/** Closes the doors, stops both servers (each must exit 0) and removes the data directory. */
export async function stopTwoServers(servers: TwoServers): Promise<void> {
  servers.here.close();
  servers.there.close();
  expect(await servers.second.stop()).to.equal(0);
  expect(await servers.first.stop()).to.equal(0);
  removeDataDir(servers.first.dataDir);
}
