/**
 * A self-signed test-only certificate for localhost / 127.0.0.1 (valid until 2126) and its key, for the
 * TLS tests of both listeners. Not a secret: it protects nothing.
 */
import { readFileSync } from "node:fs";
import type { TlsKeyPair } from "../../../src/transport/tls-key-pair.js";

const read = (name: string) => readFileSync(new URL(name, import.meta.url));

export const testTlsPair: TlsKeyPair = { cert: read("./tls-test-cert.pem"), key: read("./tls-test-key.pem") };
