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
  Right.USER_EVENTS_READ,
  Right.USER_ALL,
];
const ADMIN_RIGHTS = [
  Right.ADMIN_USERS_READ,
  Right.ADMIN_USERS_WRITE,
  Right.ADMIN_API_KEYS,
  Right.ADMIN_TENANTS,
  Right.ADMIN_EVENTS_READ,
  Right.ADMIN_WEBHOOKS,
  Right.ADMIN_ALL,
];
/** A number no value of today's enum has. */
const FUTURE = Math.max(...RightSchema.values.map((v) => v.number)) + 1;
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

  it("gives a tenant admin every right but RIGHT_ADMIN_TENANTS, pseudo-rights kept; tenant users the user family", () => {
    const tenantAdmin = { admin: true, suspended: false, inTenant: true };
    expect(sorted(rights.universe(tenantAdmin))).to.deep.equal(sorted(rights.defined.filter((r) => r !== Right.ADMIN_TENANTS)));
    expect(sorted(rights.universe({ admin: false, suspended: false, inTenant: true }))).to.deep.equal(sorted(USER_RIGHTS));
    expect(sorted(rights.universe({ ...tenantAdmin, suspended: true }))).to.deep.equal([]);
    // A RIGHT_ALL key of a tenant admin: everything a tenant admin may hold, never RIGHT_ADMIN_TENANTS.
    const all = rights.effective([Right.ALL], tenantAdmin);
    expect(all.has(Right.ADMIN_TENANTS)).to.equal(false);
    expect(all.has(Right.ALL) && all.has(Right.ADMIN_API_KEYS)).to.equal(true);
    expect(rights.effective([Right.ADMIN_TENANTS], tenantAdmin).size).to.equal(0);
    expect(sorted(rights.reachable(true))).to.deep.equal(sorted(rights.universe(tenantAdmin)));
    expect(sorted(rights.reachable(false))).to.deep.equal(sorted(rights.defined));
  });

  it("gives stored RIGHT_ALL and RIGHT_ADMIN_ALL keys of system admins RIGHT_ADMIN_TENANTS by expansion", () => {
    const systemAdmin = { admin: true, suspended: false };
    expect(rights.effective([Right.ALL], systemAdmin).has(Right.ADMIN_TENANTS)).to.equal(true);
    expect(rights.effective([Right.ADMIN_ALL], systemAdmin).has(Right.ADMIN_TENANTS)).to.equal(true);
    expect(rights.effective([Right.ADMIN_USERS_WRITE, Right.ADMIN_API_KEYS], systemAdmin).has(Right.ADMIN_TENANTS)).to.equal(false);
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
    const future = createRightsModel(rightEnumWith({ name: "RIGHT_USER_NOTIFICATIONS_READ", number: FUTURE }));
    const stored = [Right.USER_ALL];
    expect(future.expand(stored).has(FUTURE)).to.equal(true);
    expect(future.effective(stored, { admin: false, suspended: false }).has(FUTURE)).to.equal(true);
    expect(future.expand([Right.ALL]).has(FUTURE)).to.equal(true);
    // A key holding each user right one by one, but not the pseudo-right, does not get the new right.
    expect(future.expand([Right.USER_INFO, Right.USER_SETTINGS_BASIC, Right.USER_SETTINGS_API_KEYS]).has(FUTURE)).to.equal(false);
    expect(future.expand([Right.ADMIN_ALL]).has(FUTURE)).to.equal(false);
    // The model in use today does not know the value.
    expect(rights.expand(stored).has(FUTURE)).to.equal(false);
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
