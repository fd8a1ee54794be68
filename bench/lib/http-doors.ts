/**
 * The HTTP/1.1 doors the bench loads on one Keyward server, each probed once before any load so that a
 * door answering something other than success stops the bench with what it said, instead of being
 * measured as fast errors: REST `GET /api/v1/auth_info`, Connect JSON and Connect binary
 * `AuthService/GetAuthInfo`, gRPC-Web (its trailer frame must say `grpc-status` 0) and forward auth
 * (`GET /api/v1/auth/check`, 200 with the caller in `X-Keyward-User-Id`). Each door comes back as a load
 * target whose `expectBody` every 2xx answer of the load must contain.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { GetAuthInfoResponseSchema } from "../../gen/keyward/v1/auth_pb.js";
import type { HttpTarget } from "./http-run.js";

export const REST_AUTH_INFO = "/api/v1/auth_info";
export const GET_AUTH_INFO = "/keyward.v1.AuthService/GetAuthInfo";
export const FORWARD_AUTH = "/api/v1/auth/check";

/** The doors, by target id. */
export type DoorId = "rest" | "connect" | "connectBinary" | "grpcWeb" | "forwardAuth";

interface Probe {
  readonly status: number;
  readonly headers: Headers;
  readonly body: Uint8Array;
}

async function probe(url: string, init: RequestInit): Promise<Probe> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  return { status: response.status, headers: response.headers, body: new Uint8Array(await response.arrayBuffer()) };
}

function refuse(door: string, answer: Probe, why: string): never {
  const text = Buffer.from(answer.body).toString("utf8").slice(0, 500);
  throw new Error(`${door}: ${why} (HTTP ${answer.status}, content-type ${answer.headers.get("content-type") ?? "none"}): ${text}`);
}

/**
 * Probes every door of the server at `baseUrl` with the bearer credential in `auth`; throws, naming the
 * door, on any answer that is not success. Returns the load targets (CPU read from `pids`) and the JSON
 * REST answered, for the bare node:http server to serve the same bytes.
 */
export async function probeDoors(
  baseUrl: string,
  auth: Readonly<Record<string, string>>,
  pids: readonly number[],
): Promise<{ targets: Record<DoorId, HttpTarget>; restJson: string; userId: string }> {
  const rest = await probe(`${baseUrl}${REST_AUTH_INFO}`, { headers: auth });
  if (rest.status !== 200) refuse(`REST GET ${REST_AUTH_INFO}`, rest, "not 200");
  const restJson = Buffer.from(rest.body).toString("utf8");
  const userId = (JSON.parse(restJson) as { user?: { userId?: string } }).user?.userId;
  if (!userId) refuse(`REST GET ${REST_AUTH_INFO}`, rest, "no userId in the answer");

  const connectJsonHeaders = { ...auth, "content-type": "application/json", "connect-protocol-version": "1" };
  const connect = await probe(`${baseUrl}${GET_AUTH_INFO}`, { method: "POST", headers: connectJsonHeaders, body: "{}" });
  if (connect.status !== 200 || !Buffer.from(connect.body).toString("utf8").includes(`"userId":"${userId}"`)) {
    refuse(`Connect JSON POST ${GET_AUTH_INFO}`, connect, `not 200 with userId ${userId}`);
  }

  const connectBinaryHeaders = { ...auth, "content-type": "application/proto", "connect-protocol-version": "1" };
  const binary = await probe(`${baseUrl}${GET_AUTH_INFO}`, { method: "POST", headers: connectBinaryHeaders, body: new Uint8Array(0) });
  if (binary.status !== 200 || binary.headers.get("content-type") !== "application/proto") refuse(`Connect binary POST ${GET_AUTH_INFO}`, binary, "not 200 application/proto");
  if (fromBinary(GetAuthInfoResponseSchema, binary.body).user?.userId !== userId) refuse(`Connect binary POST ${GET_AUTH_INFO}`, binary, `the message names no user ${userId}`);

  // gRPC-Web: one message frame (flag 0) and the trailer frame (flag 0x80), both in the body.
  const grpcWebHeaders = { ...auth, "content-type": "application/grpc-web+proto", "x-grpc-web": "1" };
  const emptyFrame = new Uint8Array(5);
  const web = await probe(`${baseUrl}${GET_AUTH_INFO}`, { method: "POST", headers: grpcWebHeaders, body: emptyFrame });
  if (web.status !== 200) refuse(`gRPC-Web POST ${GET_AUTH_INFO}`, web, "not 200");
  const frames = grpcWebFrames(web.body);
  const message = frames.find((f) => f.flag === 0);
  const trailer = frames.find((f) => (f.flag & 0x80) !== 0);
  const statusLine = trailer && Buffer.from(trailer.data).toString("latin1").split("\r\n").find((line) => /^grpc-status:/i.test(line));
  if (!statusLine || statusLine.split(":")[1]!.trim() !== "0") refuse(`gRPC-Web POST ${GET_AUTH_INFO}`, web, `the trailer frame says ${statusLine ?? "no grpc-status"}`);
  if (!message || fromBinary(GetAuthInfoResponseSchema, message.data).user?.userId !== userId) refuse(`gRPC-Web POST ${GET_AUTH_INFO}`, web, `no message naming ${userId}`);

  const check = await probe(`${baseUrl}${FORWARD_AUTH}`, { headers: auth });
  if (check.status !== 200 || check.headers.get("x-keyward-user-id") !== userId) refuse(`forward auth GET ${FORWARD_AUTH}`, check, `not 200 with X-Keyward-User-Id ${userId}`);

  const at = (path: string) => `${baseUrl}${path}`;
  return {
    restJson,
    userId,
    targets: {
      rest: { id: "rest", url: at(REST_AUTH_INFO), method: "GET", headers: auth, pids },
      connect: { id: "connect", url: at(GET_AUTH_INFO), method: "POST", headers: connectJsonHeaders, body: "{}", pids },
      // The binary answer carries the user id as its raw bytes.
      connectBinary: { id: "connectBinary", url: at(GET_AUTH_INFO), method: "POST", headers: connectBinaryHeaders, expectBody: userId, pids },
      grpcWeb: { id: "grpcWeb", url: at(GET_AUTH_INFO), method: "POST", headers: grpcWebHeaders, binaryBody: emptyFrame, expectBody: statusLine, pids },
      // 200 with the identity in headers and no body: the status is what the load checks.
      forwardAuth: { id: "forwardAuth", url: at(FORWARD_AUTH), method: "GET", headers: auth, expectBody: "", pids },
    },
  };
}

/** The frames of a gRPC-Web body: flag byte, 4-byte big-endian length, data. */
function grpcWebFrames(body: Uint8Array): { flag: number; data: Uint8Array }[] {
  const frames: { flag: number; data: Uint8Array }[] = [];
  let at = 0;
  while (at + 5 <= body.length) {
    const length = new DataView(body.buffer, body.byteOffset + at + 1, 4).getUint32(0);
    frames.push({ flag: body[at]!, data: body.subarray(at + 5, at + 5 + length) });
    at += 5 + length;
  }
  return frames;
}
