/**
 * Protobuf binary into a message, as strictly as JSON (json-decoding.ts), for the gRPC, Connect binary
 * and gRPC-Web doors. protobuf-es' `fromBinary` keeps unknown fields (in `$unknown`), takes any number for
 * an enum (proto3 enums are open), lets a singular field occur twice (the last wins) and any seconds or
 * nanos into a Timestamp. So the bytes are first walked once, following the schema, without building
 * anything: the walk counts fields against the request limits as it goes, and names each field that is
 * unknown, has the wrong wire type, an enum number its enum lacks, an impossible Timestamp or Duration, a
 * string that is not UTF-8, or is given twice. Only a message that passes is decoded.
 */
import { fromBinary, ScalarType, type DescField, type DescMessage, type MessageShape } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { KeywardError, MalformedMessage, RequestTooComplex, validationFailed, type FieldViolation } from "../../errors/errors.js";
import { MAX_REQUEST_DEPTH, MAX_REQUEST_FIELDS } from "../../request-limits.js";
import {
  DURATION,
  durationProblem,
  enumChoices,
  fieldByNumber,
  givenTwice,
  isEnumNumber,
  joinPath,
  TIMESTAMP,
  timestampProblem,
  unknownField,
} from "./decoding-rules.js";
import { expectedValue } from "./field-values.js";

const UTF8 = new TextDecoder("utf-8", { fatal: true });

/** Decodes `bytes` as `schema`. Throws `MALFORMED_MESSAGE`, `REQUEST_TOO_COMPLEX` or `VALIDATION_FAILED`. */
export function messageFromBinary<Desc extends DescMessage>(schema: Desc, bytes: Uint8Array): MessageShape<Desc> {
  const violations: FieldViolation[] = [];
  try {
    new Walk(violations).message(schema, bytes, "", 1);
  } catch (error) {
    if (error instanceof KeywardError) throw error;
    throw malformed(error);
  }
  if (violations.length > 0) throw validationFailed(violations);
  try {
    return fromBinary(schema, bytes, { readUnknownFields: false });
  } catch (error) {
    throw malformed(error);
  }
}

function malformed(error: unknown): KeywardError {
  return MalformedMessage.create({ problem: String((error as Error).message ?? error).slice(0, 200) });
}

/** The wire type each scalar is written with. */
function wireTypeOf(scalar: ScalarType): WireType {
  switch (scalar) {
    case ScalarType.STRING:
    case ScalarType.BYTES:
      return WireType.LengthDelimited;
    case ScalarType.DOUBLE:
    case ScalarType.FIXED64:
    case ScalarType.SFIXED64:
      return WireType.Bit64;
    case ScalarType.FLOAT:
    case ScalarType.FIXED32:
    case ScalarType.SFIXED32:
      return WireType.Bit32;
    default:
      return WireType.Varint;
  }
}

/** One walk over a request: the field budget it has used and what it found. */
class Walk {
  #fields = 0;

  constructor(private readonly violations: FieldViolation[]) {}

  #count(): void {
    if (++this.#fields > MAX_REQUEST_FIELDS) {
      throw RequestTooComplex.create({ problem: `has more than ${MAX_REQUEST_FIELDS} fields and list items`, limit: String(MAX_REQUEST_FIELDS) });
    }
  }

  /** Walks the message `schema` encoded in `bytes`, at proto path `at`, `depth` messages deep. */
  message(schema: DescMessage, bytes: Uint8Array, at: string, depth: number): void {
    if (depth > MAX_REQUEST_DEPTH) {
      throw RequestTooComplex.create({ problem: `nests messages deeper than ${MAX_REQUEST_DEPTH} levels`, limit: String(MAX_REQUEST_DEPTH) });
    }
    const reader = new BinaryReader(bytes);
    const singular = new Set<number>();
    const oneofs = new Map<string, string>();
    const items = new Map<number, number>();
    while (reader.pos < reader.len) {
      const [no, wireType] = reader.tag();
      this.#count();
      const field = fieldByNumber(schema, no);
      if (field === undefined) {
        this.violations.push(unknownField(at, `#${no}`, schema));
        reader.skip(wireType, no);
        continue;
      }
      const path = joinPath(at, field.name);
      if (field.fieldKind === "list" || field.fieldKind === "map") {
        const index = items.get(no) ?? 0;
        items.set(no, index + this.#listItems(field, reader, wireType, path, index, depth));
        continue;
      }
      if (singular.has(no)) this.violations.push(givenTwice(path, `field ${no} occurs twice`));
      singular.add(no);
      if (field.oneof !== undefined) {
        const other = oneofs.get(field.oneof.name);
        if (other !== undefined && other !== field.name) {
          this.violations.push(givenTwice(path, `\`${other}\` and \`${field.name}\` are both members of oneof ${field.oneof.name}`));
        }
        oneofs.set(field.oneof.name, field.name);
      }
      this.#value(field, reader, wireType, path, depth);
    }
  }

  /** One singular value (or one unpacked list item) of `field`. */
  #value(field: DescField, reader: BinaryReader, wireType: WireType, path: string, depth: number): void {
    const message = field.message;
    const expected = message !== undefined ? WireType.LengthDelimited : field.enum !== undefined ? WireType.Varint : wireTypeOf(field.scalar!);
    if (wireType !== expected) {
      this.violations.push({ field: path, description: `must be ${expectedValue(field)} (wire type ${expected}, not ${wireType})` });
      reader.skip(wireType, field.number);
      return;
    }
    if (message !== undefined) {
      const bytes = reader.bytes();
      this.message(message, bytes, path, depth + 1);
      if (message.typeName === TIMESTAMP || message.typeName === DURATION) this.#instant(message, bytes, path);
    } else if (field.enum !== undefined) {
      this.#enumNumber(field, reader.int32(), path);
    } else if (field.scalar === ScalarType.STRING) {
      const bytes = reader.bytes();
      try {
        UTF8.decode(bytes);
      } catch {
        this.violations.push({ field: path, description: "must be valid UTF-8" });
      }
    } else {
      reader.skip(wireType, field.number);
    }
  }

  /** The items of a list field in one occurrence (packed or not); returns how many. */
  #listItems(field: DescField, reader: BinaryReader, wireType: WireType, path: string, index: number, depth: number): number {
    if (field.fieldKind !== "list") {
      // Keyward's API has no maps; their entries are not walked, only counted.
      reader.skip(wireType, field.number);
      return 1;
    }
    const packable = field.listKind === "enum" || (field.listKind === "scalar" && wireTypeOf(field.scalar) !== WireType.LengthDelimited);
    if (!packable || wireType !== WireType.LengthDelimited) {
      this.#value(field, reader, wireType, `${path}[${index}]`, depth);
      return 1;
    }
    const packed = new BinaryReader(reader.bytes());
    const element = field.listKind === "enum" ? WireType.Varint : wireTypeOf(field.scalar);
    let count = 0;
    while (packed.pos < packed.len) {
      if (count > 0) this.#count(); // the occurrence itself was counted once already
      if (field.listKind === "enum") this.#enumNumber(field, packed.int32(), `${path}[${index + count}]`);
      else packed.skip(element);
      count++;
    }
    return count;
  }

  #enumNumber(field: DescField, value: number, path: string): void {
    if (!isEnumNumber(field.enum!, value)) {
      this.violations.push({ field: path, description: `must be ${enumChoices(field.enum!)} (${value} is no value of ${field.enum!.typeName})` });
    }
  }

  /** A Timestamp or Duration whose fields were walked already: is it a possible one? */
  #instant(message: DescMessage, bytes: Uint8Array, path: string): void {
    const value = fromBinary(message, bytes, { readUnknownFields: false }) as unknown as { seconds: bigint; nanos: number };
    const problem = message.typeName === TIMESTAMP ? timestampProblem(value.seconds, value.nanos) : durationProblem(value.seconds, value.nanos);
    if (problem !== undefined) this.violations.push({ field: path, description: problem });
  }
}
