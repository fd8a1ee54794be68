/**
 * `GET /openapi.json`: an OpenAPI 3.1 document generated at startup from the route table and the
 * descriptors, so it cannot drift from what the gateway serves. Each REST route is one operation with
 * its path and query parameters, request and response schemas, the proto comments as descriptions, the
 * rights it needs (from the `(keyward.v1.access)` option, in the description and as
 * `x-keyward-access`), and its errors as `google.rpc.Status`. Security schemes: `bearer`
 * (`Authorization: Bearer <key>`, The Things Stack) and `ApiKey` (`X-Authorization: ApiKey <key>`,
 * ThingsBoard).
 */
import { getOption, hasOption, type DescMethod } from "@bufbuild/protobuf";
import { protoComments } from "../../../gen/keyward/v1/comments.js";
import { FieldBehavior } from "../../../gen/google/api/field_behavior_pb.js";
import { StatusSchema } from "../../../gen/google/rpc/status_pb.js";
import { access, RightSchema } from "../../../gen/keyward/v1/rights_pb.js";
import { protoPath } from "../rest/field-paths.js";
import type { RestRoute } from "../rest/http-rules.js";
import { FORWARD_AUTH_PATH } from "../forward-auth.js";
import { exampleOf, fieldExample } from "./openapi-examples.js";
import { FORWARD_AUTH_TAG, forwardAuthPathItem } from "./openapi-forward-auth.js";
import { hasBehavior, SchemaRegistry, type Schema } from "./openapi-schemas.js";
import { encodeLiteral, type PathTemplate, type TemplateVariable } from "../rest/path-template.js";
import { SELF_KEY_ID } from "../../authz/access-rules.js";
import { queryParametersOf } from "../rest/url-fields.js";
import { updateMaskFieldOf } from "../rest/transcode-request.js";

/** Where the document is served. */
export const OPENAPI_PATH = "/openapi.json";

const DESCRIPTION = `Keyward keeps users and issues them long-lived, revocable API keys (\`NNSXS.<id>.<secret>\`) that carry fine-grained rights.

**Authentication.** Send a key as \`Authorization: Bearer <key>\` (scheme \`bearer\`) or as \`X-Authorization: ApiKey <key>\` (scheme \`ApiKey\`: paste \`ApiKey NNSXS...\`). A session token from \`SessionRegistry.CreateSession\` (\`ONSXG...\`) is sent the same way; in a browser signed in to the console, its cookie authenticates same-origin calls, this page's included. A call is allowed when the key's rights, with pseudo-rights such as \`RIGHT_USER_ALL\` expanded and intersected with what the key's owner may hold, include what the operation needs.

**JSON.** Bodies are proto3 JSON: field names in camelCase (snake_case is accepted too), enums by name, timestamps in RFC 3339, durations like \`"3600s"\`. Unknown fields are refused.

**Errors** are \`google.rpc.Status\` JSON: \`{"code": 16, "message": "...", "details": [{"@type": "type.googleapis.com/google.rpc.ErrorInfo", "reason": "CREDENTIALS_MISSING", "domain": "keyward"}]}\`, with the HTTP status of the code. Every error carries a stable \`ErrorInfo.reason\`; bad input also a \`google.rpc.BadRequest\` naming each field.`;

/** Error responses, shared by the operations. */
const ERROR_RESPONSES: Readonly<Record<string, { readonly status: string; readonly description: string }>> = {
  BadRequest: { status: "400", description: "Bad input (`INVALID_ARGUMENT`, reason `VALIDATION_FAILED` with every bad field, or `MALFORMED_JSON`)." },
  Unauthenticated: {
    status: "401",
    description: "No, malformed, unknown, disabled or expired credentials (`UNAUTHENTICATED`; the reason says which).",
  },
  PermissionDenied: { status: "403", description: "The key lacks a right the operation needs (`PERMISSION_DENIED`, `INSUFFICIENT_RIGHTS`)." },
  NotFound: { status: "404", description: "No such user or key (`NOT_FOUND`)." },
  Error: { status: "default", description: "Any other error, as `google.rpc.Status`." },
};

/** Builds the document for `routes`; `comments` are the proto comments by full element name. */
export function buildOpenApiDocument(routes: readonly RestRoute[], comments: Readonly<Record<string, string>> = protoComments): Record<string, unknown> {
  const registry = new SchemaRegistry(comments);
  const paths: Record<string, Record<string, unknown>> = {};
  const tags = new Map<string, string | undefined>();
  for (const route of routes) {
    const service = route.method.parent;
    tags.set(service.name, comments[service.typeName]);
    const path = (paths[openApiPath(route)] ??= {});
    path[route.httpMethod.toLowerCase()] = operation(route, registry, comments);
  }
  paths[FORWARD_AUTH_PATH] = forwardAuthPathItem();
  tags.set(FORWARD_AUTH_TAG.name, FORWARD_AUTH_TAG.description);
  const status = registry.message(StatusSchema);
  return {
    openapi: "3.1.0",
    info: { title: "Keyward", version: "v1", description: DESCRIPTION, license: { name: "Apache-2.0", identifier: "Apache-2.0" } },
    tags: [...tags].map(([name, description]) => (description ? { name, description } : { name })),
    paths,
    components: {
      schemas: registry.schemas,
      responses: Object.fromEntries(
        Object.entries(ERROR_RESPONSES).map(([name, { description }]) => [name, errorResponse(description, name === "Unauthenticated", status)]),
      ),
      securitySchemes: {
        bearer: { type: "http", scheme: "bearer", bearerFormat: "NNSXS API key", description: "`Authorization: Bearer <API key>`" },
        ApiKey: { type: "apiKey", in: "header", name: "X-Authorization", description: "ApiKey <key>: the value is `ApiKey ` followed by the API key." },
      },
    },
  };
}

/**
 * The OpenAPI path of a route: variables as `{field.path}`, literals encoded, the verb kept. A variable
 * bound to literals only (`{key_id=self}`) has one value, so the path shows that value and no parameter.
 */
export function openApiPath(route: RestRoute): string {
  const { segments, variables, verb } = route.template;
  const parts: string[] = [];
  for (let i = 0; i < segments.length; ) {
    const variable = variables.find((v) => v.start === i);
    if (variable && fixedValueOf(route.template, variable) === undefined) {
      parts.push(`{${variable.fieldPath}}`);
      i = variable.end ?? segments.length;
      continue;
    }
    const segment = segments[i]!;
    parts.push(segment.kind === "literal" ? encodeLiteral(segment.value) : segment.kind === "wildcard" ? "*" : "**");
    i++;
  }
  return `/${parts.join("/")}${verb === undefined ? "" : `:${encodeLiteral(verb)}`}`;
}

/** The one value of a variable bound to literal segments only (`{key_id=self}`); undefined otherwise. */
function fixedValueOf(template: PathTemplate, variable: TemplateVariable): string | undefined {
  if (variable.end === undefined) return undefined;
  const covered = template.segments.slice(variable.start, variable.end);
  return covered.every((s) => s.kind === "literal") ? covered.map((s) => (s.kind === "literal" ? s.value : "")).join("/") : undefined;
}

/** Whether `route` fixes the method's self-key field to the calling key (`{key_id=self}`). */
function namesSelf(route: RestRoute, rule: AccessRule | undefined): boolean {
  if (rule === undefined || rule.selfKeyField === "") return false;
  return route.template.variables.some((v) => v.fieldPath === rule.selfKeyField && fixedValueOf(route.template, v) === SELF_KEY_ID);
}

function operation(route: RestRoute, registry: SchemaRegistry, comments: Readonly<Record<string, string>>): Record<string, unknown> {
  const method = route.method;
  const comment = comments[`${method.parent.typeName}.${method.name}`] ?? "";
  const rule = accessOf(method);
  const self = namesSelf(route, rule);
  const hasPathVariables = route.pathFields.length > 0;
  const responses: Record<string, unknown> = {
    "200": { description: "OK", content: { "application/json": { schema: responseSchema(route, registry) } } },
    "400": { $ref: "#/components/responses/BadRequest" },
  };
  if (rule?.public !== true) {
    responses["401"] = { $ref: "#/components/responses/Unauthenticated" };
    responses["403"] = { $ref: "#/components/responses/PermissionDenied" };
  }
  if (hasPathVariables) responses["404"] = { $ref: "#/components/responses/NotFound" };
  responses.default = { $ref: "#/components/responses/Error" };
  const body = requestBody(route, registry, comments);
  return {
    tags: [method.parent.name],
    operationId: route.operationId,
    summary: self ? SELF_SUMMARY : (summaryOf(comment) ?? method.name),
    description: [comment, self ? SELF_ACCESS : describeAccess(rule), maskNote(route)].filter((s) => s !== "").join("\n\n"),
    parameters: [...pathParameters(route, registry), ...queryParameters(route, registry)],
    ...(body ? { requestBody: body } : {}),
    responses,
    security: rule?.public === true ? [] : [{ bearer: [] }, { ApiKey: [] }],
    ...(rule ? { "x-keyward-access": self ? { public: false, selfKey: true } : accessExtension(rule) } : {}),
  };
}

const SELF_SUMMARY = "Gives the calling API key a new secret (self-rotation).";
const SELF_ACCESS =
  "**Rights required:** none; the call must be made with an API key's current secret, and regenerates that key (its owner's id may be left out of the body).";

function pathParameters(route: RestRoute, registry: SchemaRegistry): Schema[] {
  const variables = route.template.variables.map((variable, i) => ({ variable, fields: route.pathFields[i]! }));
  return variables.filter(({ variable }) => fixedValueOf(route.template, variable) === undefined).map(({ variable, fields }) => {
    const schema = registry.field(fields[fields.length - 1]!);
    const { description, ...rest } = schema;
    const multi = variable.end === undefined || variable.end - variable.start > 1;
    const example = fieldExample(fields[fields.length - 1]!.jsonName);
    return {
      name: variable.fieldPath,
      in: "path",
      required: true,
      ...(typeof description === "string" ? { description } : {}),
      schema: multi ? { ...rest, description: "May contain `/`; a `/` inside a value is sent as `%2F`." } : rest,
      ...(example !== undefined ? { example } : {}),
    };
  });
}

function queryParameters(route: RestRoute, registry: SchemaRegistry): Schema[] {
  return queryParametersOf(route).map(({ name, fields }) => {
    const leaf = fields[fields.length - 1]!;
    const { description, ...schema } = registry.field(leaf);
    const extra = leaf.name === "update_mask" && updateMaskFieldOf(route) ? ` ${maskNote(route)}` : "";
    return {
      name,
      in: "query",
      required: false,
      ...(typeof description === "string" || extra ? { description: `${description ?? ""}${extra}`.trim() } : {}),
      schema,
      ...(leaf.fieldKind === "list" ? { style: "form", explode: true } : {}),
    };
  });
}

function requestBody(route: RestRoute, registry: SchemaRegistry, comments: Readonly<Record<string, string>>): Schema | undefined {
  const body = route.body;
  if (body.kind === "none") return undefined;
  let schema: Schema;
  // The example leaves out what the path sets: the path would override it.
  let boundInBody = new Set<string>();
  if (body.kind === "field") {
    schema = registry.field(body.field);
    boundInBody = new Set(route.pathFields.filter((f) => f[0] === body.field && f.length === 2).map((f) => f[1]!.jsonName));
    // An update's example names only what an update can change: input-only fields (a user's first
    // password) are set by their own calls, immutable ones (a user's tenant) never change, and the mask
    // an example implies would be refused.
    if (updateMaskFieldOf(route) && body.field.message) {
      for (const field of body.field.message.fields) {
        if (hasBehavior(field, FieldBehavior.INPUT_ONLY) || hasBehavior(field, FieldBehavior.IMMUTABLE)) boundInBody.add(field.jsonName);
      }
    }
  } else {
    // body "*": every field but those the path binds (the path would override them).
    const input = route.method.input;
    const bound = new Set(route.pathFields.filter((f) => f.length === 1).map((f) => f[0]!.name));
    schema = registry.objectSchema(input, input.fields.filter((f) => !bound.has(f.name)));
  }
  const required = body.kind === "field" && hasBehavior(body.field, FieldBehavior.REQUIRED);
  const description = body.kind === "field" ? comments[`${body.field.parent.typeName}.${body.field.name}`] : undefined;
  const example = exampleOf(schema, registry.schemas, boundInBody);
  return { required, ...(description ? { description } : {}), content: { "application/json": { schema, example } } };
}

function responseSchema(route: RestRoute, registry: SchemaRegistry): Schema {
  if (route.responseField) {
    const { description, ...schema } = registry.field(route.responseField);
    void description;
    return schema;
  }
  return registry.message(route.method.output);
}

function errorResponse(description: string, unauthenticated: boolean, status: Schema): Schema {
  return {
    description,
    content: { "application/json": { schema: status } },
    ...(unauthenticated
      ? {
          headers: {
            "WWW-Authenticate": {
              description: '`Bearer realm="keyward"`, with `error="invalid_token"` when a credential was sent but refused (RFC 6750).',
              schema: { type: "string" },
            },
          },
        }
      : {}),
  };
}

interface AccessRule {
  readonly public: boolean;
  readonly userField: string;
  readonly ownUserRights: readonly number[];
  readonly otherUserRights: readonly number[];
  readonly optionalUserField: boolean;
  readonly selfKeyField: string;
}

function accessOf(method: DescMethod): AccessRule | undefined {
  return hasOption(method, access) ? getOption(method, access) : undefined;
}

/** Enum value names of `rights`. */
const namesOf = (rights: readonly number[]) => rights.map((r) => RightSchema.values.find((v) => v.number === r)?.name ?? String(r));
const rightNames = (rights: readonly number[]) => namesOf(rights).map((name) => `\`${name}\``).join(", ");

/** The rights paragraph of an operation's description. */
function describeAccess(rule: AccessRule | undefined): string {
  if (!rule) return "**Access:** none declared; every call is refused.";
  if (rule.public) return "**Access:** public; no credentials needed.";
  const other = rule.otherUserRights.length === 0 ? "any valid API key" : rightNames(rule.otherUserRights);
  if (rule.userField === "") return `**Rights required:** ${other}.`;
  const own = rule.ownUserRights.length === 0 ? "any valid API key" : rightNames(rule.ownUserRights);
  const none = rule.optionalUserField ? ` Without \`${rule.userField}\` the call covers every user in the caller's scope and needs ${other}.` : "";
  return `**Rights required:** ${own} when \`${rule.userField}\` is the caller's own user; ${other} for any other user (which also suffices on one's own).${none}`;
}

function accessExtension(rule: AccessRule): Record<string, unknown> {
  return {
    public: rule.public,
    ...(rule.userField === "" ? {} : { userField: rule.userField, ownUserRights: namesOf(rule.ownUserRights) }),
    ...(rule.optionalUserField ? { optionalUserField: true } : {}),
    otherUserRights: namesOf(rule.otherUserRights),
  };
}

function maskNote(route: RestRoute): string {
  const body = route.body;
  if (!updateMaskFieldOf(route) || body.kind !== "field") return "";
  const bound = route.pathFields.filter((f) => f[0] === body.field).map((f) => `\`${protoPath(f.slice(1))}\``);
  return `Without \`updateMask\`, the mask is the body's top-level keys${bound.length > 0 ? ` (except ${bound.join(", ")}, which the path sets)` : ""}.`;
}

/** The first sentence of a comment, for the operation summary. */
function summaryOf(comment: string): string | undefined {
  const first = comment.split(/\n\s*\n/, 1)[0]?.replace(/\s*\n\s*/g, " ").trim();
  if (!first) return undefined;
  const end = first.search(/\.(\s|$)/);
  return end === -1 ? first : first.slice(0, end + 1);
}
