#!/usr/bin/env node
// Marks the built CLI executable, as package.json's `bin` needs it to be: tsc writes files without the
// mode, and `npx keyward` in a fresh clone (offline, or from a cache npm made earlier) runs the file
// itself, which a 0644 file refuses with "Permission denied".
import { chmodSync } from "node:fs";

chmodSync(new URL("../dist/src/cli/main.js", import.meta.url), 0o755);
