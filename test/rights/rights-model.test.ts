import { create, createFileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import { expect } from "chai";
import { Right, RightSchema } from "../../gen/keyward/v1/rights_pb.js";
import { createRightsModel, rights } from "../../src/rights/index.js";

const USER_RIGHTS = [
  Right.USER_INFO,
  Right.USER_SETTINGS_BASIC,
  Right.USER_SETTINGS_API_KEYS,
  Right.USER_DELETE,
  Right.USER_ALL,
];
const ADMIN_RIGHTS = [Right.ADMIN_USERS_READ, Right.ADMIN_USERS_WRITE, Right.ADMIN_API_KEYS, Right.ADMIN_ALL];
const sorted = (set: Iterable<number>) => [...set].sort((a, b) => a - b);

describe("rights: model", () => {
  it("expands pseudo-rights to their family, themselves included", () => {
    expect(sorted(rights.expand([Right.USER_ALL]))).to.deep.equal(sorted(USER_RIGHTS));
    expect(sorted(rights.expand([Right.ADMIN_ALL]))).to.deep.equal(sorted(ADMIN_RIGHTS));
    expect(sorted(rights.expand([Right.ALL]))).to.deep.equal(sorted([...USER_RIGHTS, ...ADMIN_RIGHTS, Right.ALL]));
  });

  it("leaves plain rights as they are and drops RIGHT_INVALID and unknown numbers", () => {
    expect(sorted(rights.expand([Right.USER_INFO, Right.USER_DELETE]))).to.deep.equal([Right.USER_INFO, Right.USER_DELETE]);
    expect(sorted(rights.expand([Right.INVALID, 999]))).to.deep.equal([]);
  });

  it("knows names, short names and pseudo-rights from the enum", () => {
    expect(rights.name(Right.USER_SETTINGS_API_KEYS)).to.equal("RIGHT_USER_SETTINGS_API_KEYS");
    expect(rights.fromName("RIGHT_ADMIN_API_KEYS")).to.equal(Right.ADMIN_API_KEYS);
    expect(rights.fromName("ADMIN_API_KEYS")).to.equal(Right.ADMIN_API_KEYS);
    expect(rights.fromName("RIGHT_INVALID")).to.equal(undefined);
    expect(rights.isPseudo(Right.USER_ALL)).to.equal(true);
    expect(rights.isPseudo(Right.USER_INFO)).to.equal(false);
    expect(rights.isDefined(Right.INVALID)).to.equal(false);
    expect(rights.defined).to.have.length(RightSchema.values.length - 1);
  });

  it("gives users the user family, admins everything, suspended users nothing", () => {
    expect(sorted(rights.universe({ admin: false, suspended: false }))).to.deep.equal(sorted(USER_RIGHTS));
    expect(sorted(rights.universe({ admin: true, suspended: false }))).to.deep.equal(sorted(rights.defined));
    expect(sorted(rights.universe({ admin: true, suspended: true }))).to.deep.equal([]);
  });

  it("intersects a key's expanded rights with its owner's universe", () => {
    const user = { admin: false, suspended: false };
    expect(sorted(rights.effective([Right.ALL], user))).to.deep.equal(sorted(USER_RIGHTS));
    expect(sorted(rights.effective([Right.USER_INFO, Right.ADMIN_USERS_READ], user))).to.deep.equal([Right.USER_INFO]);
    expect(sorted(rights.effective([Right.ADMIN_ALL], { admin: true, suspended: false }))).to.deep.equal(
      sorted(ADMIN_RIGHTS),
    );
    expect(sorted(rights.effective([Right.ALL], { admin: true, suspended: true }))).to.deep.equal([]);
  });

  it("extends stored RIGHT_USER_ALL to a right added to the enum later (future rights)", () => {
    const future = createRightsModel(rightEnumWith({ name: "RIGHT_USER_NOTIFICATIONS_READ", number: 11 }));
    const stored = [Right.USER_ALL];
    expect(future.expand(stored).has(11)).to.equal(true);
    expect(future.effective(stored, { admin: false, suspended: false }).has(11)).to.equal(true);
    expect(future.expand([Right.ALL]).has(11)).to.equal(true);
    // A key holding each user right one by one, but not the pseudo-right, does not get the new right.
    expect(future.expand([Right.USER_INFO, Right.USER_SETTINGS_BASIC, Right.USER_SETTINGS_API_KEYS]).has(11)).to.equal(false);
    expect(future.expand([Right.ADMIN_ALL]).has(11)).to.equal(false);
    // The model in use today does not know the value.
    expect(rights.expand(stored).has(11)).to.equal(false);
  });
});

/** A real descriptor of keyward.v1.Right with one more value, as a later proto version would have it. */
function rightEnumWith(extra: { name: string; number: number }) {
  const file = create(FileDescriptorProtoSchema, {
    name: "keyward/v1/rights_future.proto",
    package: "keyward.v1",
    syntax: "proto3",
    enumType: [
      {
        name: "Right",
        value: [...RightSchema.values.map((v) => ({ name: v.name, number: v.number })), extra],
      },
    ],
  });
  const enumDesc = createFileRegistry(file, () => undefined).getEnum("keyward.v1.Right");
  if (!enumDesc) throw new Error("test setup: enum not built");
  return enumDesc;
}
