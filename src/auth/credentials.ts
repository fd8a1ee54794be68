/**
 * Credential extraction (DESIGN §6): `Authorization: Bearer <key>` (The Things Stack), `X-Authorization:
 * ApiKey <key>` (ThingsBoard), or gRPC metadata `authorization`, which arrives as the same header. Scheme
 * names are case-insensitive; when both headers are present, `Authorization` wins.
 */
import { CredentialsMalformed } from "../errors.js";

const SCHEMES: ReadonlyArray<readonly [header: string, scheme: string]> = [
  ["authorization", "bearer"],
  ["x-authorization", "apikey"],
];

/**
 * The API key a request carries, or undefined when it carries none. Throws `CREDENTIALS_MALFORMED` for a
 * header with the wrong scheme or no value; the message names the expected form, never the value sent.
 */
export function credentialFrom(header: Headers): string | undefined {
  for (const [name, scheme] of SCHEMES) {
    const value = header.get(name);
    if (value === null) continue;
    const space = value.indexOf(" ");
    const sent = space === -1 ? "" : value.slice(0, space);
    if (sent.toLowerCase() !== scheme) {
      const expected = scheme === "bearer" ? "Bearer" : "ApiKey";
      throw CredentialsMalformed.create({
        problem:
          space === -1 && value.startsWith("NNSXS.")
            ? `\`${name}\` needs the scheme: \`${expected} <api key>\``
            : `\`${name}\` must be \`${expected} <api key>\``,
      });
    }
    const key = value.slice(space + 1).trim();
    if (key === "") throw CredentialsMalformed.create({ problem: `\`${name}\` has no API key after \`${scheme}\`` });
    return key;
  }
  return undefined;
}
