/**
 * The `keyward` package's entry point for other projects: the typed Connect client and the generated
 * messages and service descriptors it speaks. The descriptors are also importable one file at a time,
 * e.g. `keyward/gen/keyward/v1/auth_pb.js`, and the `.proto` sources are under `keyward/proto/`.
 */
export { createKeywardClient, errorReason, type KeywardClient, type KeywardClientOptions } from "./keyward-client.js";
export * from "../../gen/keyward/v1/api_key_pb.js";
export * from "../../gen/keyward/v1/auth_pb.js";
export * from "../../gen/keyward/v1/rights_pb.js";
export * from "../../gen/keyward/v1/user_pb.js";
