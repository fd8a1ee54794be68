/**
 * REST routes read from the `google.api.http` option of every registered method (the rule and each of
 * its `additional_bindings`): no route is written by hand. Each rule is checked against the request and
 * response messages when the server starts, so a bad annotation fails startup, not a request:
 * path variables must name singular scalar or enum fields (strings for multi-segment captures), `body`
 * must be `*` or a top-level field, `response_body` a top-level field, and `additional_bindings` may
 * not nest (google/api/http.proto).
 */
import { getOption, hasOption, ScalarType, type DescField, type DescMethodUnary } from "@bufbuild/protobuf";
import { http } from "../../../gen/google/api/annotations_pb.js";
import type { HttpRule } from "../../../gen/google/api/http_pb.js";
import { FieldPathError, resolveFieldPath } from "./field-paths.js";
import { parsePathTemplate, type PathTemplate } from "./path-template.js";

/** Where a route's request body goes. */
export type BodyBinding = { readonly kind: "none" } | { readonly kind: "all" } | { readonly kind: "field"; readonly field: DescField };

/** One REST binding of a method: everything needed to transcode a request and describe it in OpenAPI. */
export interface RestRoute {
  readonly method: DescMethodUnary;
  /** Upper case: GET, POST, PATCH, ... */
  readonly httpMethod: string;
  readonly template: PathTemplate;
  /** `keyward.v1.UserRegistry.GetUser`, plus ` (binding N)` for additional bindings. */
  readonly name: string;
  /** `UserRegistry_GetUser`; additional bindings get `_1`, `_2`, ... (grpc-gateway's convention). */
  readonly operationId: string;
  /** The fields of `template.variables`, in the same order. */
  readonly pathFields: readonly (readonly DescField[])[];
  readonly body: BodyBinding;
  /** The response field sent as the whole body (`response_body`), or undefined for the whole message. */
  readonly responseField: DescField | undefined;
}

/** A `google.api.http` rule that cannot be served; the message names the method. */
export class HttpRuleError extends Error {
  override readonly name = "HttpRuleError";
}

/** The routes of `methods`, in declaration order; methods without a rule have none. Throws {@link HttpRuleError}. */
export function restRoutesOf(methods: Iterable<DescMethodUnary>): RestRoute[] {
  const routes: RestRoute[] = [];
  for (const method of methods) {
    if (!hasOption(method, http)) continue;
    const rule = getOption(method, http);
    const bindings = [rule, ...rule.additionalBindings];
    bindings.forEach((binding, index) => {
      const name = `${method.parent.typeName}.${method.name}${index === 0 ? "" : ` (binding ${index})`}`;
      try {
        if (index > 0 && binding.additionalBindings.length > 0) throw new Error("additional_bindings must not nest");
        routes.push(restRouteOf(method, binding, name, `${method.parent.name}_${method.name}${index === 0 ? "" : `_${index}`}`));
      } catch (error) {
        const problem = error instanceof Error ? error.message : String(error);
        throw new HttpRuleError(`google.api.http of ${name}: ${problem}`, { cause: error });
      }
    });
  }
  return routes;
}

/** The route of one rule (not its additional bindings). Throws when the rule does not fit the method's messages. */
export function restRouteOf(method: DescMethodUnary, rule: HttpRule, name: string, operationId: string): RestRoute {
  const { httpMethod, path } = patternOf(rule);
  const template = parsePathTemplate(path);
  const pathFields = template.variables.map((variable) => {
    const chain = resolveFieldPath(method.input, variable.fieldPath, "proto");
    const leaf = chain[chain.length - 1]!;
    if (leaf.fieldKind !== "scalar" && leaf.fieldKind !== "enum") {
      throw new FieldPathError(`path variable \`${variable.fieldPath}\` must name a singular scalar or enum field`);
    }
    const multiSegment = variable.end === undefined || variable.end - variable.start > 1;
    if (multiSegment && leaf.scalar !== ScalarType.STRING) {
      throw new FieldPathError(`path variable \`${variable.fieldPath}\` captures several segments, so it must name a string field`);
    }
    return chain;
  });
  return {
    method,
    httpMethod,
    template,
    name,
    operationId,
    pathFields,
    body: bodyOf(method, rule.body),
    responseField: rule.responseBody === "" ? undefined : topLevelField(method.output, rule.responseBody, "response_body"),
  };
}

function patternOf(rule: HttpRule): { httpMethod: string; path: string } {
  const pattern = rule.pattern;
  switch (pattern.case) {
    case "get":
    case "put":
    case "post":
    case "delete":
    case "patch":
      return { httpMethod: pattern.case.toUpperCase(), path: pattern.value };
    case "custom":
      if (!/^[A-Za-z]+$/.test(pattern.value.kind)) throw new Error(`custom kind \`${pattern.value.kind}\` is not an HTTP method`);
      return { httpMethod: pattern.value.kind.toUpperCase(), path: pattern.value.path };
    default:
      throw new Error("the rule has no pattern (get, put, post, delete, patch or custom)");
  }
}

function bodyOf(method: DescMethodUnary, body: string): BodyBinding {
  if (body === "") return { kind: "none" };
  if (body === "*") return { kind: "all" };
  return { kind: "field", field: topLevelField(method.input, body, "body") };
}

function topLevelField(message: DescMethodUnary["input"], name: string, option: string): DescField {
  const field = message.fields.find((f) => f.name === name);
  if (!field) throw new FieldPathError(`${option} \`${name}\` is not a top-level field of ${message.typeName}`);
  return field;
}
