/**
 * The data directory holds secrets: `keyward.db` (password hashes, key hashes) with its `-wal` and
 * `-shm`, and the first admin's `admin.key`. Its files are private to Keyward's user (0600) whatever the
 * directory's mode and the umask: the directory is often made beforehand (a container volume) with a
 * mode Keyward does not choose. SQLite creates the database with 0644 less the umask, and its `-wal` and
 * `-shm` later with the database's own mode, so the database is created private before SQLite opens it,
 * and a database, `-wal` or `-shm` left readable by an earlier version is made private.
 */
import { chmodSync, statSync, writeFileSync } from "node:fs";

/** Owner read and write, nobody else. */
export const PRIVATE_FILE_MODE = 0o600;

/** Group and other permission bits. */
const SHARED_BITS = 0o077;

/** A file made private, and the mode it had. */
export interface MadePrivate {
  readonly path: string;
  /** Its former mode, as `0644`. */
  readonly mode: string;
}

/**
 * Makes the SQLite database at `path` and its `-wal` and `-shm` private: creates the database empty with
 * 0600 if it does not exist, and takes group and other bits off any of them that has some. Call it
 * before this process opens the database: these are chmods and one create, never an open file, so no
 * SQLite lock of this process can be dropped by a close. Returns the files it changed.
 */
export function makeSqliteFilesPrivate(path: string): MadePrivate[] {
  try {
    writeFileSync(path, "", { flag: "wx", mode: PRIVATE_FILE_MODE });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
  const changed: MadePrivate[] = [];
  for (const file of [path, `${path}-wal`, `${path}-shm`]) {
    const mode = modeOf(file);
    if (mode === undefined || (mode & SHARED_BITS) === 0) continue;
    chmodSync(file, mode & ~SHARED_BITS & 0o777);
    changed.push({ path: file, mode: formatMode(mode) });
  }
  return changed;
}

/** The mode of directory `dir` as `0755` when group or others may read, write or enter it; else undefined. */
export function sharedDirectoryMode(dir: string): string | undefined {
  const mode = modeOf(dir);
  return mode === undefined || (mode & SHARED_BITS) === 0 ? undefined : formatMode(mode);
}

/** Permission bits of `path`; undefined when it does not exist. */
function modeOf(path: string): number | undefined {
  try {
    return statSync(path).mode & 0o7777;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw error;
  }
}

function formatMode(mode: number): string {
  return `0${(mode & 0o777).toString(8).padStart(3, "0")}`;
}
