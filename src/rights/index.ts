/** Rights algebra for `keyward.v1.Right`. Leaf module: imports nothing from src/. */
import { RightSchema } from "../../gen/keyward/v1/rights_pb.js";
import { createRightsModel } from "./rights-model.js";

export { createRightsModel, type RightsModel, type RightsOwner } from "./rights-model.js";
export { changedRights, missingRights } from "./right-sets.js";

/** The rights algebra of Keyward's `Right` enum. */
export const rights = createRightsModel(RightSchema);
