/**
 * The client's entry point, published as `@keyward/client` (packages/client builds it): the typed Connect
 * client, the generated messages and service descriptors it speaks, and Connect's error type and codes
 * (so a service needs no second import to handle a refusal). The descriptors are also importable one
 * file at a time, e.g. `@keyward/client/gen/keyward/v1/auth_pb.js`, and the `.proto` files are under
 * `@keyward/client/proto/`.
 */
export { createKeywardClient, errorReason, type KeywardClient, type KeywardClientOptions } from "./keyward-client.js";
export { Code, ConnectError } from "@connectrpc/connect";
export {
  DEFAULT_SIGNATURE_TOLERANCE_SECONDS,
  verifyWebhookSignature,
  type VerifyWebhookOptions,
  type WebhookVerification,
} from "./webhook-signature.js";
export * from "../../gen/keyward/v1/api_key_pb.js";
export * from "../../gen/keyward/v1/auth_pb.js";
export * from "../../gen/keyward/v1/rights_pb.js";
export * from "../../gen/keyward/v1/tenant_pb.js";
export * from "../../gen/keyward/v1/user_pb.js";
export * from "../../gen/keyward/v1/webhook_pb.js";
