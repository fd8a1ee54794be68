/**
 * Every door sent the exact bytes a test chooses, which no generated client would send (unknown fields,
 * a field twice, an enum number the enum lacks), and each answer read back to one normalised refusal: the
 * gRPC code, the `ErrorInfo` reason, the `BadRequest` field violations, and the size of the error as it
 * came over the wire. REST and Connect are plain `fetch`; gRPC-Web frames its own body; gRPC goes through
 * grpc-js with an identity serializer.
 */
import { fromBinary, type DescMethodUnary } from "@bufbuild/protobuf";
import { base64Decode } from "@bufbuild/protobuf/wire";
import { anyUnpack } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { BadRequestSchema, ErrorInfoSchema } from "../../../gen/google/rpc/error_details_pb.js";
import { StatusSchema, type Status } from "../../../gen/google/rpc/status_pb.js";

/** A door and the encoding its body is in. */
export type RawDoor = "grpc" | "connect-proto" | "connect-json" | "grpc-web" | "grpc-web-text" | "grpc-web-json";
export const BINARY_DOORS: readonly RawDoor[] = ["grpc", "connect-proto", "grpc-web", "grpc-web-text"];
export const JSON_DOORS: readonly RawDoor[] = ["connect-json", "grpc-web-json"];

export interface RawAnswer {
  /** The gRPC code (0 for OK). */
  readonly code: number;
  readonly reason: string;
  readonly violations: readonly { field: string; description: string }[];
  /** The whole answer as it came: body (and, for gRPC, the error trailers), in bytes. */
  readonly size: number;
}

const CODES: Record<string, number> = {
  canceled: 1, unknown: 2, invalid_argument: 3, deadline_exceeded: 4, not_found: 5, already_exists: 6, permission_denied: 7,
  resource_exhausted: 8, failed_precondition: 9, aborted: 10, out_of_range: 11, unimplemented: 12, internal: 13, unavailable: 14,
  data_loss: 15, unauthenticated: 16,
};

function fromStatus(status: Status, size: number): RawAnswer {
  const details = status.details;
  const info = details.map((any) => anyUnpack(any, ErrorInfoSchema)).find((d) => d !== undefined);
  const badRequest = details.map((any) => anyUnpack(any, BadRequestSchema)).find((d) => d !== undefined);
  return {
    code: status.code,
    reason: info?.reason ?? "",
    violations: badRequest?.fieldViolations.map((v) => ({ field: v.field, description: v.description })) ?? [],
    size,
  };
}

/** Sends `body` (already encoded for the door) as a call of `method` on `door`. */
export async function callRaw(door: RawDoor, base: { httpUrl: string; grpcAddress: string }, method: DescMethodUnary, body: Uint8Array, key?: string): Promise<RawAnswer> {
  const path = `/${method.parent.typeName}/${method.name}`;
  if (door === "grpc") return callGrpcRaw(base.grpcAddress, path, body, key);
  const auth: Record<string, string> = key === undefined ? {} : { authorization: `Bearer ${key}` };
  if (door === "connect-proto" || door === "connect-json") {
    const type = door === "connect-proto" ? "application/proto" : "application/json";
    const response = await fetch(base.httpUrl + path, { method: "POST", headers: { "content-type": type, ...auth }, body: Buffer.from(body) });
    const bytes = new Uint8Array(await response.arrayBuffer());
    if (response.ok) return { code: 0, reason: "", violations: [], size: bytes.length };
    const json = JSON.parse(new TextDecoder().decode(bytes)) as { code: string; message?: string; details?: { type: string; value: string }[] };
    const status = {
      code: CODES[json.code] ?? 2,
      details: (json.details ?? []).map((d) => ({ typeUrl: `type.googleapis.com/${d.type}`, value: base64Decode(d.value) })),
    } as unknown as Status;
    return fromStatus(status, bytes.length);
  }
  const text = door === "grpc-web-text";
  const type = door === "grpc-web-json" ? "application/grpc-web+json" : text ? "application/grpc-web-text+proto" : "application/grpc-web+proto";
  const framed = frame(0, body);
  const response = await fetch(base.httpUrl + path, {
    method: "POST",
    headers: { "content-type": type, "x-grpc-web": "1", ...auth },
    body: text ? Buffer.from(framed).toString("base64") : Buffer.from(framed),
  });
  const raw = new Uint8Array(await response.arrayBuffer());
  const bytes = text ? base64Decode(new TextDecoder().decode(raw)) : raw;
  const trailer = trailerOf(bytes);
  const code = Number(trailer.get("grpc-status") ?? response.headers.get("grpc-status") ?? 2);
  if (code === 0) return { code: 0, reason: "", violations: [], size: raw.length };
  const bin = trailer.get("grpc-status-details-bin");
  return fromStatus(bin ? fromBinary(StatusSchema, base64Decode(bin)) : ({ code, details: [] } as unknown as Status), raw.length);
}

function frame(flags: number, data: Uint8Array): Uint8Array {
  const framed = new Uint8Array(5 + data.length);
  framed[0] = flags;
  new DataView(framed.buffer).setUint32(1, data.length);
  framed.set(data, 5);
  return framed;
}

/** The trailer frame of a gRPC-Web answer, as headers. */
export function trailerOf(bytes: Uint8Array): Map<string, string> {
  const trailer = new Map<string, string>();
  for (let at = 0; at + 5 <= bytes.length; ) {
    const length = new DataView(bytes.buffer, bytes.byteOffset + at + 1, 4).getUint32(0);
    if ((bytes[at]! & 0x80) !== 0) {
      for (const line of new TextDecoder().decode(bytes.subarray(at + 5, at + 5 + length)).split("\r\n")) {
        const colon = line.indexOf(":");
        if (colon > 0) trailer.set(line.slice(0, colon).trim().toLowerCase(), line.slice(colon + 1).trim());
      }
    }
    at += 5 + length;
  }
  return trailer;
}

function callGrpcRaw(address: string, path: string, body: Uint8Array, key: string | undefined): Promise<RawAnswer> {
  const metadata = new grpc.Metadata();
  if (key !== undefined) metadata.set("authorization", `Bearer ${key}`);
  return grpcUnaryBytes(address, path, body, metadata, 10_000).then(({ error, reply }) => {
    if (!error) return { code: 0, reason: "", violations: [], size: reply?.length ?? 0 };
    const bin = error.metadata?.get("grpc-status-details-bin")[0] as Buffer | undefined;
    return fromStatus(bin ? fromBinary(StatusSchema, bin) : ({ code: error.code, details: [] } as unknown as Status), grpcErrorSize(error));
  });
}

/** A unary call of `path` with `body` as the message's bytes, through grpc-js: the error, or the reply's bytes. */
export function grpcUnaryBytes(
  address: string,
  path: string,
  body: Uint8Array,
  metadata: grpc.Metadata,
  timeoutMs: number,
): Promise<{ error: grpc.ServiceError | null; reply: Buffer | undefined }> {
  const client = new grpc.Client(address, grpc.credentials.createInsecure());
  return new Promise<{ error: grpc.ServiceError | null; reply: Buffer | undefined }>((resolve) => {
    client.makeUnaryRequest(
      path,
      (bytes: Uint8Array) => Buffer.from(bytes),
      (bytes: Buffer) => bytes,
      body,
      metadata,
      { deadline: Date.now() + timeoutMs },
      (error, reply) => resolve({ error, reply }),
    );
  }).finally(() => client.close());
}

/** The size of a gRPC error as it came: its message and its trailers. */
export function grpcErrorSize(error: grpc.ServiceError): number {
  return Object.entries(error.metadata?.getMap() ?? {}).reduce((n, [name, value]) => n + name.length + String(value).length, error.details.length);
}
