/**
 * JSON Schemas (OpenAPI 3.1 dialect) of messages and enums, as their proto3 JSON looks: camelCase
 * properties, enums by name, 64-bit integers as strings, well-known types in their JSON forms
 * (Timestamp as an RFC 3339 string, Duration as `"3600s"`, FieldMask as a comma list). Every message
 * and enum becomes one `components/schemas` entry named by its full proto name and is referenced with
 * `$ref`; descriptions come from the proto comments, `readOnly` and `required` from
 * `google.api.field_behavior`.
 */
import { getOption, hasOption, ScalarType, type DescEnum, type DescField, type DescMessage } from "@bufbuild/protobuf";
import { field_behavior, FieldBehavior } from "../../../gen/google/api/field_behavior_pb.js";

/** A JSON Schema object. */
export type Schema = Record<string, unknown>;

const SCALAR_SCHEMAS: Record<ScalarType, Schema> = {
  [ScalarType.DOUBLE]: { type: "number", format: "double" },
  [ScalarType.FLOAT]: { type: "number", format: "float" },
  [ScalarType.INT64]: { type: "string", format: "int64" },
  [ScalarType.UINT64]: { type: "string", format: "uint64" },
  [ScalarType.INT32]: { type: "integer", format: "int32" },
  [ScalarType.FIXED64]: { type: "string", format: "uint64" },
  [ScalarType.FIXED32]: { type: "integer", format: "uint32", minimum: 0 },
  [ScalarType.BOOL]: { type: "boolean" },
  [ScalarType.STRING]: { type: "string" },
  [ScalarType.BYTES]: { type: "string", contentEncoding: "base64" },
  [ScalarType.UINT32]: { type: "integer", format: "uint32", minimum: 0 },
  [ScalarType.SFIXED32]: { type: "integer", format: "int32" },
  [ScalarType.SFIXED64]: { type: "string", format: "int64" },
  [ScalarType.SINT32]: { type: "integer", format: "int32" },
  [ScalarType.SINT64]: { type: "string", format: "int64" },
};

/** Well-known types with a JSON form of their own, inlined where used. */
const WELL_KNOWN: Readonly<Record<string, Schema>> = {
  "google.protobuf.Timestamp": { type: "string", format: "date-time", examples: ["2030-01-31T12:00:00Z"] },
  "google.protobuf.Duration": { type: "string", pattern: "^-?[0-9]+(\\.[0-9]{1,9})?s$", examples: ["3600s"] },
  "google.protobuf.FieldMask": { type: "string", description: "Field names separated by commas, e.g. `name,rights`." },
  "google.protobuf.Any": {
    type: "object",
    properties: { "@type": { type: "string", description: "`type.googleapis.com/` and the full name of the message type." } },
    required: ["@type"],
    additionalProperties: true,
  },
  "google.protobuf.Empty": { type: "object" },
  "google.protobuf.Struct": { type: "object", additionalProperties: true },
  "google.protobuf.Value": {},
  "google.protobuf.ListValue": { type: "array", items: {} },
};

/** True for a field marked `(google.api.field_behavior) = <behavior>`. */
export function hasBehavior(field: DescField, behavior: FieldBehavior): boolean {
  return hasOption(field, field_behavior) && getOption(field, field_behavior).includes(behavior);
}

/** Collects the schemas of the messages and enums it is asked to reference. */
export class SchemaRegistry {
  /** `components/schemas`, filled as references are made. */
  readonly schemas: Record<string, Schema> = {};

  constructor(private readonly comments: Readonly<Record<string, string>>) {}

  /** `$ref` to the schema of `message` (or its inline JSON form for a well-known type). */
  message(message: DescMessage): Schema {
    const wellKnown = WELL_KNOWN[message.typeName] ?? wrapperSchema(message);
    if (wellKnown) return { ...wellKnown };
    if (!(message.typeName in this.schemas)) {
      this.schemas[message.typeName] = {}; // placeholder first: message types may refer to themselves
      this.schemas[message.typeName] = this.objectSchema(message, message.fields);
    }
    return { $ref: `#/components/schemas/${message.typeName}` };
  }

  /** An object schema of `fields` of `message` (all of them, or a subset such as a body without path fields). */
  objectSchema(message: DescMessage, fields: readonly DescField[]): Schema {
    const properties: Record<string, Schema> = {};
    for (const field of fields) properties[field.jsonName] = this.field(field);
    const required = fields.filter((f) => hasBehavior(f, FieldBehavior.REQUIRED)).map((f) => f.jsonName);
    return withDescription(
      { type: "object", properties, ...(required.length > 0 ? { required } : {}) },
      this.comments[message.typeName],
    );
  }

  /** The schema of a field's JSON value, with its comment as description. */
  field(field: DescField): Schema {
    let schema: Schema;
    if (field.fieldKind === "map") {
      const value = field.mapKind === "message" ? this.message(field.message) : field.mapKind === "enum" ? this.enum(field.enum) : SCALAR_SCHEMAS[field.scalar];
      schema = { type: "object", additionalProperties: value };
    } else if (field.fieldKind === "list") {
      schema = { type: "array", items: this.element(field) };
    } else {
      schema = this.element(field);
    }
    let description = this.comments[`${field.parent.typeName}.${field.name}`];
    if (hasBehavior(field, FieldBehavior.IMMUTABLE)) description = appendLine(description, "Set on creation; cannot be changed.");
    if (hasBehavior(field, FieldBehavior.OUTPUT_ONLY)) schema.readOnly = true;
    return withDescription(schema, description);
  }

  /** `$ref` to the schema of `e`: its value names, each described. */
  enum(e: DescEnum): Schema {
    if (!(e.typeName in this.schemas)) {
      const values = e.values.map((v) => {
        const comment = this.comments[`${e.typeName}.${v.name}`];
        return `- \`${v.name}\`${comment ? `: ${comment.replace(/\s*\n\s*/g, " ")}` : ""}`;
      });
      // The example is the first value that is not the zero value: proto3's zero means "unset" (and
      // RIGHT_INVALID is refused), so it is never what a request should send.
      const example = e.values.find((v) => v.number !== 0) ?? e.values[0];
      this.schemas[e.typeName] = withDescription(
        { type: "string", enum: e.values.map((v) => v.name), ...(example ? { examples: [example.name] } : {}) },
        appendLine(this.comments[e.typeName], values.join("\n")),
      );
    }
    return { $ref: `#/components/schemas/${e.typeName}` };
  }

  private element(field: DescField & { fieldKind: "list" | "scalar" | "enum" | "message" }): Schema {
    if (field.message) return this.message(field.message);
    if (field.enum) return this.enum(field.enum);
    return { ...SCALAR_SCHEMAS[field.scalar!] };
  }
}

/** `google.protobuf.Int32Value` and friends: their value's schema, or null. */
function wrapperSchema(message: DescMessage): Schema | undefined {
  if (!/^google\.protobuf\.[A-Za-z0-9]+Value$/.test(message.typeName)) return undefined;
  const value = message.fields[0];
  if (value?.fieldKind !== "scalar") return undefined;
  const schema = SCALAR_SCHEMAS[value.scalar];
  return { ...schema, type: [schema.type, "null"] };
}

function withDescription(schema: Schema, description: string | undefined): Schema {
  return description ? { ...schema, description } : schema;
}

function appendLine(text: string | undefined, line: string): string {
  return text ? `${text}\n\n${line}` : line;
}
