import { expect } from "chai";
import { Right } from "../../gen/keyward/v1/rights_pb.js";
import { changedRights, missingRights, rights } from "../../src/rights/index.js";

const user = { admin: false, suspended: false };
const admin = { admin: true, suspended: false };

/** The grant rule as services apply it: a caller holding `callerKey` changes a key from `before` to `after`. */
function refused(callerKey: Right[], owner: typeof user, before: Right[], after: Right[]): string[] {
  const held = rights.effective(callerKey, owner);
  return missingRights(held, changedRights(before, after)).map(rights.name);
}

describe("rights: grant rule (The Things Stack's cases)", () => {
  const scoped = [Right.USER_INFO, Right.USER_SETTINGS_API_KEYS];

  it("refuses creating a key with a right the caller does not hold", () => {
    expect(refused(scoped, user, [], [Right.USER_INFO, Right.USER_DELETE])).to.deep.equal(["RIGHT_USER_DELETE"]);
  });

  it("allows creating a key with a subset of held rights", () => {
    expect(refused(scoped, user, [], [Right.USER_INFO])).to.deep.equal([]);
  });

  it("refuses adding a right the caller does not hold", () => {
    expect(refused(scoped, user, [Right.USER_INFO], [Right.USER_INFO, Right.USER_SETTINGS_BASIC])).to.deep.equal([
      "RIGHT_USER_SETTINGS_BASIC",
    ]);
  });

  it("refuses removing a right the caller does not hold", () => {
    expect(refused(scoped, user, [Right.USER_INFO, Right.USER_DELETE], [Right.USER_INFO])).to.deep.equal([
      "RIGHT_USER_DELETE",
    ]);
  });

  it("allows swapping held rights", () => {
    expect(refused(scoped, user, [Right.USER_INFO], [Right.USER_SETTINGS_API_KEYS])).to.deep.equal([]);
  });

  it("grants a pseudo-right only to a holder of that pseudo-right (or a wider one)", () => {
    const everyUserRight = [Right.USER_INFO, Right.USER_SETTINGS_BASIC, Right.USER_SETTINGS_API_KEYS, Right.USER_DELETE];
    expect(refused(everyUserRight, user, [], [Right.USER_ALL])).to.deep.equal(["RIGHT_USER_ALL"]);
    expect(refused([Right.USER_ALL], user, [], [Right.USER_ALL])).to.deep.equal([]);
    expect(refused([Right.ALL], user, [], [Right.USER_ALL])).to.deep.equal([]);
  });

  it("caps a non-admin's RIGHT_ALL key at the user family", () => {
    expect(refused([Right.ALL], user, [], [Right.ALL])).to.deep.equal(["RIGHT_ALL"]);
    expect(refused([Right.ALL], user, [], [Right.ADMIN_USERS_READ])).to.deep.equal(["RIGHT_ADMIN_USERS_READ"]);
  });

  it("stops an admin key limited to RIGHT_ADMIN_API_KEYS from minting RIGHT_ALL", () => {
    expect(refused([Right.ADMIN_API_KEYS], admin, [], [Right.ALL])).to.deep.equal(["RIGHT_ALL"]);
    expect(refused([Right.ADMIN_API_KEYS], admin, [], [Right.USER_INFO])).to.deep.equal(["RIGHT_USER_INFO"]);
  });

  it("lets an admin RIGHT_ALL key grant anything", () => {
    expect(refused([Right.ALL], admin, [], [Right.ALL, Right.ADMIN_ALL, Right.USER_ALL])).to.deep.equal([]);
  });

  it("keeps a key within its owner's universe", () => {
    expect(missingRights(rights.universe(user), [Right.USER_ALL, Right.ADMIN_API_KEYS]).map(rights.name)).to.deep.equal([
      "RIGHT_ADMIN_API_KEYS",
    ]);
    expect(missingRights(rights.universe(admin), [Right.ALL])).to.deep.equal([]);
  });

  it("computes the symmetric difference of two right sets", () => {
    expect(changedRights([1, 2, 3], [3, 4])).to.deep.equal([1, 2, 4]);
    expect(changedRights([5, 5], [5])).to.deep.equal([]);
  });
});
