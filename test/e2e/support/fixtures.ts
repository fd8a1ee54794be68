/** Test fixtures over the API: users and keys created as the admin, through the Connect door. */
import { timestampFromDate } from "@bufbuild/protobuf/wkt";
import { expect } from "chai";
import { ApiKeyRegistry, type ApiKey } from "../../../gen/keyward/v1/api_key_pb.js";
import type { Right } from "../../../gen/keyward/v1/rights_pb.js";
import { UserRegistry, UserState } from "../../../gen/keyward/v1/user_pb.js";
import type { DoorName, Doors, Outcome } from "./doors.js";
import { issuedKeys } from "./secret-scan.js";


let counter = 0;
/** A fresh, valid user id. */
export function uniqueUserId(prefix = "user"): string {
  return `${prefix}-${process.pid}-${++counter}`;
}

/** Unwraps a successful outcome, failing the test with the error otherwise. */
export function ok<T extends Outcome>(outcome: T): Extract<T, { ok: true }>["message"] {
  if (!outcome.ok) expect.fail(`call failed: ${outcome.codeName} ${outcome.reason} ${outcome.message}`);
  return (outcome as Extract<T, { ok: true }>).message;
}

export interface Actor {
  readonly userId: string;
  readonly key: string;
  readonly apiKey: ApiKey;
}

export class Fixtures {
  constructor(
    private readonly doors: Doors,
    private readonly adminKey: string,
    /** The door fixtures are made through; gRPC where the HTTP listener is not on loopback. */
    private readonly door: DoorName = "connect",
  ) {}

  async user(options: { admin?: boolean; userId?: string } = {}): Promise<string> {
    const userId = options.userId ?? uniqueUserId();
    ok(await this.doors.call(this.door, UserRegistry.method.createUser, { user: { userId, name: userId, admin: options.admin ?? false } }, this.adminKey));
    return userId;
  }

  async key(userId: string, rights: Right[], options: { expiresAt?: Date; name?: string; allowedIps?: string[] } = {}): Promise<Actor> {
    const response = ok(
      await this.doors.call(
        this.door,
        ApiKeyRegistry.method.createApiKey,
        {
          userId,
          name: options.name ?? "test",
          rights,
          expiresAt: options.expiresAt ? timestampFromDate(options.expiresAt) : undefined,
          allowedIps: options.allowedIps ?? [],
        },
        this.adminKey,
      ),
    );
    issuedKeys.add(response.key);
    return { userId, key: response.key, apiKey: response.apiKey! };
  }

  /** A new user with one key. */
  async actor(rights: Right[], options: { admin?: boolean } = {}): Promise<Actor> {
    return this.key(await this.user(options), rights);
  }

  async suspend(userId: string, suspended = true): Promise<void> {
    ok(
      await this.doors.call(
        this.door,
        UserRegistry.method.updateUser,
        { user: { userId, state: suspended ? UserState.SUSPENDED : UserState.ACTIVE }, updateMask: { paths: ["state"] } },
        this.adminKey,
      ),
    );
  }
}
