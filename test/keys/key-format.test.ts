import { expect } from "chai";
import fc from "fast-check";
import {
  generateKey,
  hashSecret,
  ID_LENGTH,
  KEY_LENGTH,
  KEY_PATTERN,
  keyChecksum,
  parseKey,
  SECRET_LENGTH,
  verifySecret,
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

  it("rejects every in-alphabet substitution at every position of one key (exhaustive)", () => {
    const { key } = generateKey();
    for (let position = 6; position < key.length; position++) {
      if (key[position] === ".") continue;
      for (const c of ALPHABET) {
        if (c === key[position]) continue;
        const changed = key.slice(0, position) + c + key.slice(position + 1);
        expect(parseKey(changed).ok, `position ${position} -> ${c}`).to.equal(false);
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

  it("never matches an unknown scheme or a truncated hash", () => {
    const { secret } = generateKey();
    const stored = hashSecret(secret);
    expect(verifySecret(secret, stored.replace("sha256:", "PBKDF2$"))).to.equal(false);
    expect(verifySecret(secret, stored.slice(0, -2))).to.equal(false);
    expect(verifySecret(secret, "")).to.equal(false);
  });
});

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
