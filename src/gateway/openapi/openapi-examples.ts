/**
 * Example requests for the OpenAPI document, so that what Swagger UI's "Try it out" fills in is a valid
 * call. Left to itself, swagger-ui samples each schema: the first value of an enum (the proto3 zero value,
 * `RIGHT_INVALID`, which the API refuses), `"string"` for an email address. Here an example is built from
 * the same schemas: enums take their first non-zero value (the schema's `examples`), a few fields whose
 * plain string would be refused take a realistic value, read-only fields are left out, and so are the
 * fields the URL path sets.
 */
import type { Schema } from "./openapi-schemas.js";

/** Values for fields whose generic sample would not be valid input, by JSON name. */
const FIELD_EXAMPLES: Readonly<Record<string, string>> = {
  userId: "billing-gateway",
  // A tenant's id, in a path and in a new user: the docs page's CreateTenant makes it first.
  tenantId: "acme",
  email: "ops@example.com",
  name: "Billing gateway",
  keyId: "ZCHIBYBLLSH4SI326PLCI3RA3SQQPC5WXB2ASWA",
  id: "ZCHIBYBLLSH4SI326PLCI3RA3SQQPC5WXB2ASWA",
  // A private network: what an internal service's key would be limited to.
  allowedIps: "10.0.0.0/8",
  // One passphrase for every password field (12+ characters), so the examples of CreateUser,
  // UpdatePassword and CreateSession work in any order.
  password: "correct horse battery staple",
  newPassword: "correct horse battery staple",
  currentPassword: "correct horse battery staple",
  sessionId: "ZCHIBYBLLSH4SI326PLCI3RA3SQQPC5WXB2ASWA",
  // Webhooks: a receiver's https URL (http is refused but to loopback) and one event type prefix.
  webhookId: "ZCHIBYBLLSH4SI326PLCI3RA3SQQPC5WXB2ASWA",
  url: "https://hooks.example.com/keyward",
  eventTypes: "api_key.",
};

/** Values for number fields whose zero would be refused (a key's limits), by JSON name. */
const NUMBER_EXAMPLES: Readonly<Record<string, number>> = {
  requests: 100,
  remainingUses: 1000,
  amount: 1000,
};

/** Values for maps, by JSON name: an empty map would show nothing of the shape. */
const MAP_EXAMPLES: Readonly<Record<string, Record<string, string>>> = {
  metadata: { plan: "pro" },
};

/** The example of a path parameter or string field named `jsonName`, if it needs one. */
export function fieldExample(jsonName: string): string | undefined {
  return FIELD_EXAMPLES[jsonName];
}

/**
 * An example value of `schema`, resolving `$ref`s in `schemas`; `omit` names top-level properties to
 * leave out (those the path binds).
 */
export function exampleOf(schema: Schema, schemas: Readonly<Record<string, Schema>>, omit: ReadonlySet<string> = new Set(), name = ""): unknown {
  const ref = schema.$ref;
  if (typeof ref === "string") return exampleOf(schemas[ref.replace("#/components/schemas/", "")] ?? {}, schemas, omit, name);
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  const type = Array.isArray(schema.type) ? schema.type[0] : schema.type;
  switch (type) {
    case "object": {
      if (MAP_EXAMPLES[name] !== undefined && schema.properties === undefined) return MAP_EXAMPLES[name];
      const properties = (schema.properties ?? {}) as Record<string, Schema>;
      const example: Record<string, unknown> = {};
      for (const [property, value] of Object.entries(properties)) {
        if (value.readOnly === true || omit.has(property)) continue;
        example[property] = exampleOf(value, schemas, new Set(), property);
      }
      return example;
    }
    case "array":
      return [exampleOf((schema.items ?? {}) as Schema, schemas, new Set(), name)];
    case "string":
      return Array.isArray(schema.enum) ? schema.enum[0] : (fieldExample(name) ?? "string");
    case "boolean":
      return false;
    case "integer":
    case "number":
      return NUMBER_EXAMPLES[name] ?? 0;
    default:
      return {};
  }
}
