import { expect } from "chai";
import fc from "fast-check";
import { createHash } from "node:crypto";
import { decodeBase32 } from "../../src/keys/base32.js";
import {
  generateKey,
  hashSecret,
  ID_LENGTH,
  KEY_LENGTH,
  KEY_PATTERN,
  keyChecksum,
  parseKey,
  parseToken,
  SECRET_LENGTH,
  SESSION_TOKEN_PATTERN,
  secretChecker,
  verifySecret,
  type ParsedKey,
} from "../../src/keys/index.js";

const ALPHABET = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";

describe("keys: format", () => {
  it("generates NNSXS.<39>.<52> keys of 98 characters", () => {
    for (let i = 0; i < 200; i++) {
      const { id, secret, key } = generateKey();
      expect(key).to.match(KEY_PATTERN);
      expect(key).to.have.length(98).and.to.equal(`NNSXS.${id}.${secret}`);
      expect(id).to.have.length(ID_LENGTH);
      expect(secret).to.have.length(SECRET_LENGTH);
    }
    expect(KEY_LENGTH).to.equal(98);
  });

  it("round-trips generate -> parse", () => {
    const generated = generateKey();
    expect(parseKey(generated.key)).to.deep.equal({ ok: true, id: generated.id, secret: generated.secret });
  });

  it("makes ONSXG session tokens through the same generator and parser, and tells them from keys", () => {
    const session = generateKey(undefined, "session");
    expect(session.key).to.match(SESSION_TOKEN_PATTERN).and.to.equal(`ONSXG.${session.id}.${session.secret}`);
    expect(parseToken(session.key)).to.deep.equal({ ok: true, kind: "session", id: session.id, secret: session.secret });
    const key = generateKey();
    expect(parseToken(key.key)).to.deep.equal({ ok: true, kind: "api_key", id: key.id, secret: key.secret });
    // parseKey accepts API keys only.
    expect(parseKey(session.key)).to.deep.equal({ ok: false, problem: "prefix" });
  });

  it("binds a secret to its kind: a key's secret under the session prefix fails the checksum", () => {
    const key = generateKey();
    expect(parseToken(`ONSXG.${key.id}.${key.secret}`)).to.deep.equal({ ok: false, problem: "checksum" });
    const session = generateKey(undefined, "session");
    expect(parseToken(`NNSXS.${session.id}.${session.secret}`)).to.deep.equal({ ok: false, problem: "checksum" });
    // The session checksum is CRC-32 over "ONSXG" || id || secret bytes 0..27.
    expect(keyChecksum(new Uint8Array(24), new Uint8Array(28), "session")).to.equal(
      crc32Reference(Buffer.concat([Buffer.from("ONSXG"), Buffer.alloc(52)])),
    );
  });

  it("regenerates a secret for the same id that parses, and differs", () => {
    const first = generateKey();
    const second = generateKey(first.id);
    expect(second.id).to.equal(first.id);
    expect(second.secret).to.not.equal(first.secret);
    expect(parseKey(second.key).ok).to.equal(true);
  });

  it("matches the checksum documented in README (CRC-32 of 'NNSXS' || id bytes || secret bytes 0..27)", () => {
    // Known vector: all-zero id and secret bytes. CRC-32("NNSXS" + 52 zero bytes), computed independently.
    const crc = keyChecksum(new Uint8Array(24), new Uint8Array(28));
    expect(crc).to.equal(crc32Reference(Buffer.concat([Buffer.from("NNSXS"), Buffer.alloc(52)])));
  });

  it("names the problem with a malformed key", () => {
    const { key, id, secret } = generateKey();
    const cases: [string, string][] = [
      ["", "empty"],
      ["Bearer", "prefix"],
      [`nnsxs.${id}.${secret}`, "prefix"],
      [`MFRWG.${id}.${secret}`, "prefix"],
      [key.slice(0, -1), "length"],
      [`${key}A`, "length"],
      [`NNSXS.${id}${secret}.`, "length"],
      [`NNSXS.${id.slice(0, -1)}1.${secret}`, "alphabet"],
      [`NNSXS.${id}.${secret.slice(0, -1)}=`, "alphabet"],
      [`NNSXS.${id}.${flip(secret, 0)}`, "checksum"],
    ];
    for (const [input, problem] of cases) {
      expect(parseKey(input), JSON.stringify(input)).to.deep.equal({ ok: false, problem });
    }
  });

  it("never throws on arbitrary strings (property)", () => {
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.string({ unit: "binary" }), fc.constantFrom("NNSXS.", "NNSXS..")), (input) => {
        const parsed = parseKey(input);
        expect(parsed.ok).to.be.a("boolean");
      }),
      { numRuns: 1000 },
    );
  });

  it("rejects every single-character change of a valid key (property)", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 97 }),
        fc.string({ minLength: 1, maxLength: 1, unit: "grapheme-ascii" }),
        (position, replacement) => {
          const { key } = generateKey();
          fc.pre(key[position] !== replacement);
          const changed = key.slice(0, position) + replacement + key.slice(position + 1);
          expect(parseKey(changed).ok, changed).to.equal(false);
        },
      ),
      { numRuns: 3000 },
    );
  });

  it("rejects non-canonical base32 (non-zero unused bits) as a checksum problem, even when the CRC matches", () => {
    // The last id character carries 2 bits and 3 unused ones, the last secret character 1 bit and 4
    // unused ones; setting unused bits leaves the decoded bytes, and so the CRC, unchanged. Every
    // character is still in A-Z2-7, so "uses only A-Z and 2-7" would be no help: it is a typo.
    const { key } = keyEndingWith("A", "A");
    for (const [position, unused] of [
      [ID_END - 1, 7],
      [KEY_LENGTH - 1, 15],
    ] as const) {
      for (let bits = 1; bits <= unused; bits++) {
        const changed = replaceAt(key, position, ALPHABET[bits]!);
        expect(parseKey(changed), `position ${position} +${bits}`).to.deep.equal({ ok: false, problem: "checksum" });
      }
    }
  });

  it("rejects non-ASCII characters, including look-alikes of A-Z2-7, as alphabet at every position", () => {
    const { key } = generateKey();
    // Code units whose low 7 or 8 bits spell an alphabet character, a full-width letter, a lone surrogate.
    const strangers = ["\u00c1", "\u0141", "\u0132", "\uff21", "\ud800", "\udfff", "\u0080", "\u00ff"];
    for (let position = ID_START; position < KEY_LENGTH; position++) {
      if (position === ID_END) continue;
      for (const c of strangers) {
        expect(parseKey(replaceAt(key, position, c)), `position ${position} -> ${codePoints(c)}`).to.deep.equal({
          ok: false,
          problem: "alphabet",
        });
      }
    }
    // A surrogate pair is two code units: in place of one character it makes the key too long.
    expect(parseKey(replaceAt(key, 50, "\u{1f511}"))).to.deep.equal({ ok: false, problem: "length" });
    expect(parseKey(key.slice(0, 50) + "\u{1f511}" + key.slice(52))).to.deep.equal({ ok: false, problem: "alphabet" });
  });

  it("agrees with a reference parser built from the base32 decoder and keyChecksum (property)", () => {
    const { key } = generateKey();
    const pool = [...ALPHABET, ".", "=", "a", "z", "0", "1", "8", "9", " ", "\u00c1", "\u0141", "\ud83d", "\u{1f511}"];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: KEY_LENGTH }), fc.constantFrom(...pool), fc.boolean()), {
          maxLength: 3,
        }),
        (edits) => {
          let input = generateKey().key;
          for (const [position, c, insert] of edits) {
            input = input.slice(0, position) + c + input.slice(position + (insert ? 0 : 1));
          }
          expect(parseKey(input), JSON.stringify(input)).to.deep.equal(referenceParse(input));
        },
      ),
      { numRuns: 5000 },
    );
    expect(parseKey(key)).to.deep.equal(referenceParse(key));
  });

  it("rejects every in-alphabet substitution at every position of one key as a checksum problem (exhaustive)", () => {
    // Each character is still in A-Z2-7, so the reason must be the checksum (a typo), never the alphabet.
    const { key } = generateKey();
    for (let position = 6; position < key.length; position++) {
      if (key[position] === ".") continue;
      for (const c of ALPHABET) {
        if (c === key[position]) continue;
        const changed = key.slice(0, position) + c + key.slice(position + 1);
        expect(parseKey(changed), `position ${position} -> ${c}`).to.deep.equal({ ok: false, problem: "checksum" });
      }
    }
  });
});

describe("keys: secret hash", () => {
  it("stores sha256:<base64url> and verifies only the right secret", () => {
    const { secret } = generateKey();
    const stored = hashSecret(secret);
    expect(stored).to.match(/^sha256:[A-Za-z0-9_-]{43}$/);
    expect(stored).to.not.contain(secret);
    expect(verifySecret(secret, stored)).to.equal(true);
    expect(verifySecret(generateKey().secret, stored)).to.equal(false);
  });

  it("matches a hash of the stored form written by other code, and no other secret (property)", () => {
    // Well-formed Unicode: lone surrogates would all hash as U+FFFD, so distinct strings could match.
    const text = fc.string({ maxLength: 60, unit: "grapheme" });
    fc.assert(
      fc.property(text, text, (secret, other) => {
        const stored = `sha256:${createHash("sha256").update(secret).digest("base64url")}`;
        const check = secretChecker(stored);
        expect(check(secret)).to.equal(true);
        expect(check(other)).to.equal(other === secret);
      }),
      { numRuns: 500 },
    );
  });

  it("never matches when any one character of the stored digest differs", () => {
    const { secret } = generateKey();
    const stored = hashSecret(secret);
    // The last base64url character also carries 2 unused bits; every other one is all digest.
    for (let position = "sha256:".length; position < stored.length - 1; position++) {
      const c = stored[position] === "A" ? "B" : "A";
      expect(verifySecret(secret, replaceAt(stored, position, c)), `position ${position}`).to.equal(false);
    }
  });

  it("never matches an unknown scheme or a truncated hash", () => {
    const { secret } = generateKey();
    const stored = hashSecret(secret);
    expect(verifySecret(secret, stored.replace("sha256:", "PBKDF2$"))).to.equal(false);
    expect(verifySecret(secret, stored.slice(0, -2))).to.equal(false);
    expect(verifySecret(secret, "")).to.equal(false);
  });
});

const ID_START = "NNSXS.".length;
const ID_END = ID_START + ID_LENGTH;

function replaceAt(text: string, index: number, c: string): string {
  return text.slice(0, index) + c + text.slice(index + 1);
}

function codePoints(text: string): string {
  return [...text].map((c) => `\\u{${c.codePointAt(0)!.toString(16)}}`).join("");
}

/** A valid key whose id and secret end with the given characters (generated until one does). */
function keyEndingWith(idLast: string, secretLast: string): ReturnType<typeof generateKey> {
  for (;;) {
    const generated = generateKey();
    if (generated.id.endsWith(idLast) && generated.secret.endsWith(secretLast)) return generated;
  }
}

/** The parse rules of ARCHITECTURE.md, "Keys", spelled out plainly, from the (separately tested) base32 decoder and checksum. */
function referenceParse(input: string): ParsedKey {
  if (input === "") return { ok: false, problem: "empty" };
  if (!input.startsWith("NNSXS.")) return { ok: false, problem: "prefix" };
  if (input.length !== KEY_LENGTH || input[ID_END] !== ".") return { ok: false, problem: "length" };
  const id = input.slice(ID_START, ID_END);
  const secret = input.slice(ID_END + 1);
  if (!/^[A-Z2-7]*$/.test(id + secret)) return { ok: false, problem: "alphabet" };
  const idBytes = decodeBase32(id, 24);
  const secretBytes = decodeBase32(secret, 32);
  // In the alphabet but not canonical: a mistyped character, reported as the checksum.
  if (!idBytes || !secretBytes) return { ok: false, problem: "checksum" };
  const stored = Buffer.from(secretBytes).readUInt32BE(28);
  if (keyChecksum(idBytes, secretBytes.subarray(0, 28)) !== stored) return { ok: false, problem: "checksum" };
  return { ok: true, id, secret };
}

function flip(text: string, index: number): string {
  const c = text[index] === "A" ? "B" : "A";
  return text.slice(0, index) + c + text.slice(index + 1);
}

/** Bitwise CRC-32 (IEEE), independent of node:zlib, as the reference. */
function crc32Reference(data: Uint8Array): number {
  let crc = 0xffffffff;
  for (const byte of data) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0xedb88320 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}
