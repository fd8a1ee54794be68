import { spawnSync } from "node:child_process";
import { fromBinary, getOption, hasOption, ScalarType, type DescMessage } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema } from "@bufbuild/protobuf/wkt";
import { expect } from "chai";
import { http } from "../../gen/google/api/annotations_pb.js";
import { ApiKeyRegistry, CreateApiKeyResponseSchema, RegenerateApiKeyResponseSchema } from "../../gen/keyward/v1/api_key_pb.js";
import { field_behavior, FieldBehavior } from "../../gen/google/api/field_behavior_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { access, RightSchema } from "../../gen/keyward/v1/rights_pb.js";
import { CreateSessionResponseSchema, SessionRegistry } from "../../gen/keyward/v1/session_pb.js";
import { UserRegistry } from "../../gen/keyward/v1/user_pb.js";

const services = [UserRegistry, ApiKeyRegistry, AuthService, SessionRegistry];
const methods = services.flatMap((s) => s.methods);

/** ARCHITECTURE.md, "The API", verbatim: RPC → HTTP method, path, body, response_body. */
const REST_TABLE: Record<string, [string, string, string, string]> = {
  "UserRegistry.CreateUser": ["post", "/api/v1/users", "user", ""],
  "UserRegistry.GetUser": ["get", "/api/v1/users/{user_id}", "", "user"],
  "UserRegistry.ListUsers": ["get", "/api/v1/users", "", ""],
  "UserRegistry.UpdateUser": ["patch", "/api/v1/users/{user.user_id}", "user", ""],
  "UserRegistry.DeleteUser": ["delete", "/api/v1/users/{user_id}", "", ""],
  "ApiKeyRegistry.CreateApiKey": ["post", "/api/v1/users/{user_id}/api-keys", "*", ""],
  "ApiKeyRegistry.ListApiKeys": ["get", "/api/v1/users/{user_id}/api-keys", "", ""],
  "ApiKeyRegistry.GetApiKey": ["get", "/api/v1/users/{user_id}/api-keys/{key_id}", "", "api_key"],
  "ApiKeyRegistry.UpdateApiKey": ["patch", "/api/v1/users/{api_key.user_id}/api-keys/{api_key.id}", "api_key", ""],
  "ApiKeyRegistry.DeleteApiKey": ["delete", "/api/v1/users/{user_id}/api-keys/{key_id}", "", ""],
  "ApiKeyRegistry.RegenerateApiKey": ["post", "/api/v1/users/{user_id}/api-keys/{key_id}:regenerate", "*", ""],
  "AuthService.GetAuthInfo": ["get", "/api/v1/auth_info", "", ""],
  // ARCHITECTURE.md, "Sessions and passwords".
  "UserRegistry.UpdatePassword": ["put", "/api/v1/users/{user_id}/password", "*", ""],
  "SessionRegistry.CreateSession": ["post", "/api/v1/sessions", "*", ""],
  "SessionRegistry.ListSessions": ["get", "/api/v1/users/{user_id}/sessions", "", ""],
  "SessionRegistry.DeleteSession": ["delete", "/api/v1/users/{user_id}/sessions/{session_id}", "", ""],
};

/** ARCHITECTURE.md, "Sessions and passwords": the one public RPC. */
const PUBLIC = new Set(["SessionRegistry.CreateSession"]);

describe("API contract (descriptors)", () => {
  it("has exactly the RPCs of ARCHITECTURE.md's \"The API\" and \"Sessions and passwords\"", () => {
    expect(methods.map((m) => `${m.parent.name}.${m.name}`).sort()).to.deep.equal(Object.keys(REST_TABLE).sort());
  });

  for (const method of methods) {
    const name = `${method.parent.name}.${method.name}`;

    it(`${name} has the REST binding of ARCHITECTURE.md, "The API"`, () => {
      expect(hasOption(method, http), "google.api.http").to.equal(true);
      const rule = getOption(method, http);
      expect([rule.pattern.case, rule.pattern.value, rule.body, rule.responseBody]).to.deep.equal(REST_TABLE[name]);
    });

    it(`${name} declares an access requirement that names real fields and rights`, () => {
      expect(hasOption(method, access), "keyward.v1.access").to.equal(true);
      const requirement = getOption(method, access);
      expect(requirement.public, "only CreateSession is public").to.equal(PUBLIC.has(name));
      for (const right of [...requirement.ownUserRights, ...requirement.otherUserRights]) {
        expect(RightSchema.value[right], `right ${right}`).to.not.equal(undefined);
        expect(right).to.not.equal(0);
      }
      if (requirement.userField !== "") {
        expect(stringFieldAt(method.input, requirement.userField), requirement.userField).to.equal(true);
        expect(requirement.ownUserRights, "own-user rights").to.not.be.empty;
      }
    });
  }

  it("acts on another user only with admin rights, on oneself only with user rights", () => {
    for (const method of methods) {
      const requirement = getOption(method, access);
      for (const right of requirement.otherUserRights) expect(RightSchema.value[right]!.name).to.match(/^RIGHT_ADMIN_/);
      for (const right of requirement.ownUserRights) expect(RightSchema.value[right]!.name).to.match(/^RIGHT_USER_/);
    }
  });

  it("lets no message but the create/regenerate responses carry a secret", () => {
    const allowed = new Set<string>([CreateApiKeyResponseSchema.typeName, RegenerateApiKeyResponseSchema.typeName, CreateSessionResponseSchema.typeName]);
    // Passwords are given, never returned: a secret-shaped field must be INPUT_ONLY outside those responses.
    const inputOnly = (field: DescMessage["fields"][number]) =>
      hasOption(field, field_behavior) && getOption(field, field_behavior).includes(FieldBehavior.INPUT_ONLY);
    const secretShaped = /(^|_)(key|secret|hash|password|credential)s?$|(^|_)token$/;
    const offenders: string[] = [];
    const seen = new Set<string>();
    const visit = (message: DescMessage) => {
      if (seen.has(message.typeName)) return;
      seen.add(message.typeName);
      for (const field of message.fields) {
        if (field.message) visit(field.message);
        const textual = field.scalar === ScalarType.STRING || field.scalar === ScalarType.BYTES;
        const pageToken = field.name === "page_token" || field.name === "next_page_token";
        if (textual && secretShaped.test(field.name) && !pageToken && !allowed.has(message.typeName) && !inputOnly(field)) {
          offenders.push(`${message.typeName}.${field.name}`);
        }
      }
    };
    for (const method of methods) {
      visit(method.input);
      visit(method.output);
    }
    expect(offenders).to.deep.equal([]);
    // The check has teeth: the two allowed responses do carry the key.
    expect(CreateApiKeyResponseSchema.field.key?.scalar).to.equal(ScalarType.STRING);
    expect(RegenerateApiKeyResponseSchema.field.key?.scalar).to.equal(ScalarType.STRING);
    expect(CreateSessionResponseSchema.field.token?.scalar).to.equal(ScalarType.STRING);
  });

  it("documents every service, RPC, message, field, enum and enum value (the published reference)", () => {
    const built = spawnSync("npx", ["buf", "build", "proto", "-o", "-#format=binpb"], { maxBuffer: 64 << 20 });
    expect(built.status, built.stderr.toString()).to.equal(0);
    const set = fromBinary(FileDescriptorSetSchema, built.stdout);
    const undocumented: string[] = [];
    for (const file of set.file.filter((f) => f.name.startsWith("keyward/"))) {
      const comments = new Map(
        (file.sourceCodeInfo?.location ?? []).map((l) => [l.path.join("."), l.leadingComments.trim()]),
      );
      const need = (path: number[], what: string) => {
        if (!comments.get(path.join("."))) undocumented.push(`${file.name}: ${what}`);
      };
      file.messageType.forEach((m, i) => {
        need([4, i], m.name);
        m.field.forEach((f, j) => need([4, i, 2, j], `${m.name}.${f.name}`));
      });
      file.enumType.forEach((e, i) => {
        need([5, i], e.name);
        e.value.forEach((v, j) => need([5, i, 2, j], `${e.name}.${v.name}`));
      });
      file.service.forEach((s, i) => {
        need([6, i], s.name);
        s.method.forEach((m, j) => need([6, i, 2, j], `${s.name}.${m.name}`));
      });
    }
    expect(undocumented).to.deep.equal([]);
  });
});

/** True when `path` (proto names, dotted) leads through singular messages to a singular string field. */
function stringFieldAt(message: DescMessage, path: string): boolean {
  const [head, ...rest] = path.split(".");
  const field = message.fields.find((f) => f.name === head);
  if (!field || field.fieldKind === "list" || field.fieldKind === "map") return false;
  if (rest.length === 0) return field.fieldKind === "scalar" && field.scalar === ScalarType.STRING;
  return field.fieldKind === "message" && stringFieldAt(field.message, rest.join("."));
}
