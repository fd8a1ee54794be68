/** Keys with a rate limit, usage credits or metadata, made as the admin through the Connect door (ARCHITECTURE.md, "Keys"). */
import { durationFromMs } from "@bufbuild/protobuf/wkt";
import { ApiKeyRegistry } from "../../../gen/keyward/v1/api_key_pb.js";
import { Right } from "../../../gen/keyward/v1/rights_pb.js";
import type { Doors } from "./doors.js";
import { ok, type Actor, type Fixtures } from "./fixtures.js";
import { issuedKeys } from "./secret-scan.js";

/** What a metered key is made with. */
export interface Limits {
  readonly rateLimit?: { readonly requests: number; readonly periodMs: number };
  readonly remainingUses?: number;
  readonly metadata?: Record<string, string>;
}

/** A new user's key holding `RIGHT_USER_INFO` and the given limits. */
export async function meteredKey(doors: Doors, fx: Fixtures, admin: string, limits: Limits): Promise<Actor> {
  const userId = await fx.user();
  const response = ok(
    await doors.call(
      "connect",
      ApiKeyRegistry.method.createApiKey,
      {
        userId,
        name: "metered",
        rights: [Right.USER_INFO],
        rateLimit: limits.rateLimit && { requests: limits.rateLimit.requests, period: durationFromMs(limits.rateLimit.periodMs) },
        remainingUses: limits.remainingUses,
        metadata: limits.metadata ?? {},
      },
      admin,
    ),
  );
  issuedKeys.add(response.key);
  return { userId, key: response.key, apiKey: response.apiKey! };
}
