import { create } from "@bufbuild/protobuf";
import { expect } from "chai";
import { GetAuthInfoResponseSchema } from "../../gen/keyward/v1/auth_pb.js";
import { UserSchema } from "../../gen/keyward/v1/user_pb.js";
import { memoizeEncoding, reusableResponse } from "../../src/transport/reusable-response.js";

describe("reusable-response", () => {
  const answer = () => create(GetAuthInfoResponseSchema, { user: create(UserSchema, { userId: "ada", name: "Ada" }), rights: [1, 2] });

  it("encodes a reusable message once, any other message on every call", () => {
    let encodings = 0;
    const encode = memoizeEncoding((message: object) => `${++encodings}:${JSON.stringify(message)}`);
    const shared = reusableResponse(answer());
    expect(encode(shared)).to.equal(encode(shared));
    expect(encodings).to.equal(1);
    const plain = answer();
    expect(encode(plain)).to.not.equal(encode(plain));
    expect(encodings).to.equal(3);
  });

  it("freezes a reusable message deeply, so no call can change what others are answered", () => {
    const shared = reusableResponse(answer());
    expect(() => {
      shared.user!.name = "Mallory";
    }).to.throw(TypeError);
    expect(() => shared.rights.push(3)).to.throw(TypeError);
    expect(shared.user?.name).to.equal("Ada");
  });
});
