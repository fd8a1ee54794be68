/** Which request fields carry passwords: read from `(keyward.v1.password)` in the proto, checked for drift. */
import { create, type DescMessage } from "@bufbuild/protobuf";
import { expect } from "chai";
import { ApiKeyRegistry } from "../../gen/keyward/v1/api_key_pb.js";
import { AuthService } from "../../gen/keyward/v1/auth_pb.js";
import { SessionRegistry } from "../../gen/keyward/v1/session_pb.js";
import { UserRegistry } from "../../gen/keyward/v1/user_pb.js";
import { passwordCheckOf, passwordFieldsOf } from "../../src/net/password-transport.js";

const SERVICES = [UserRegistry, ApiKeyRegistry, AuthService, SessionRegistry];

/** Every string field whose name says it holds a password, nested messages included. */
function passwordNamedFields(message: DescMessage, seen = new Set<DescMessage>(), prefix = ""): string[] {
  if (seen.has(message)) return [];
  seen.add(message);
  return message.fields.flatMap((field) => {
    if (field.fieldKind === "scalar" && /password/i.test(field.name) && field.scalar === 9 /* string */) return [`${prefix}${field.name}`];
    if (field.fieldKind === "message") return passwordNamedFields(field.message, seen, `${prefix}${field.name}.`);
    return [];
  });
}

describe("auth/password-transport", () => {
  it("finds the marked fields of every request, and every field named like a password is marked", () => {
    const marked: Record<string, string[]> = {};
    for (const service of SERVICES) {
      for (const method of service.methods) {
        const fields = passwordFieldsOf(method.input);
        expect(fields, `${method.input.typeName}: every password-named string field is marked`).to.deep.equal(passwordNamedFields(method.input));
        if (fields.length > 0) marked[`${service.typeName}/${method.name}`] = fields;
      }
    }
    expect(marked).to.deep.equal({
      "keyward.v1.UserRegistry/CreateUser": ["user.password"],
      "keyward.v1.UserRegistry/UpdateUser": ["user.password"],
      "keyward.v1.UserRegistry/UpdatePassword": ["current_password", "new_password"],
      "keyward.v1.SessionRegistry/CreateSession": ["password"],
    });
  });

  it("says whether a request carries a non-empty password", () => {
    const createUser = UserRegistry.method.createUser.input;
    const carries = (message: DescMessage, init: Record<string, unknown>) => passwordCheckOf(message)!(create(message, init) as unknown as Record<string, unknown>);
    expect(carries(createUser, { user: { userId: "dana", password: "x" } })).to.equal(true);
    expect(carries(createUser, { user: { userId: "dana", password: "" } })).to.equal(false);
    expect(carries(createUser, { user: { userId: "dana" } })).to.equal(false);
    expect(carries(createUser, {})).to.equal(false);
    expect(carries(UserRegistry.method.updatePassword.input, { userId: "dana", currentPassword: "x" })).to.equal(true);
    expect(carries(UserRegistry.method.updatePassword.input, { userId: "dana", newPassword: "y" })).to.equal(true);
    expect(carries(SessionRegistry.method.createSession.input, { userId: "dana" })).to.equal(false);
    expect(passwordCheckOf(AuthService.method.getAuthInfo.input), "no password fields: nothing to check").to.equal(undefined);
  });
});
