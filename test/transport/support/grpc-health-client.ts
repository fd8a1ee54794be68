/** A grpc.health.v1 client, (de)coded by hand: what Kubernetes gRPC probes and grpc_health_probe ask. */
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import type * as grpc from "@grpc/grpc-js";

export const HEALTH_SERVING = 1;
export const HEALTH_NOT_SERVING = 2;

/** grpc.health.v1.Health/Check: request field 1 `service`, response field 1 `status`. */
export function healthCheck(client: grpc.Client, service: string): Promise<number> {
  return new Promise((resolve, reject) => {
    client.makeUnaryRequest(
      "/grpc.health.v1.Health/Check",
      (name: string) => Buffer.from(new BinaryWriter().tag(1, WireType.LengthDelimited).string(name).finish()),
      decodeStatus,
      service,
      (error, status) => (error ? reject(error) : resolve(status!)),
    );
  });
}

/** An open grpc.health.v1.Health/Watch stream: every status the server sent so far, and a way to end it. */
export interface HealthWatch {
  readonly statuses: readonly number[];
  /** Resolves once the server has sent `status`. */
  until(status: number): Promise<void>;
  cancel(): void;
}

/** Opens grpc.health.v1.Health/Watch for `service`: a stream the server keeps open until the client ends it. */
export function healthWatch(client: grpc.Client, service: string): HealthWatch {
  const statuses: number[] = [];
  const waiting: Array<{ status: number; resolve: () => void }> = [];
  const call = client.makeServerStreamRequest(
    "/grpc.health.v1.Health/Watch",
    (name: string) => Buffer.from(new BinaryWriter().tag(1, WireType.LengthDelimited).string(name).finish()),
    decodeStatus,
    service,
  );
  call.on("data", (status: number) => {
    statuses.push(status);
    for (const waiter of waiting.filter((w) => w.status === status)) waiter.resolve();
  });
  call.on("error", () => {}); // cancelling ends the stream with CANCELLED
  return {
    statuses,
    until: (status) => (statuses.includes(status) ? Promise.resolve() : new Promise((resolve) => waiting.push({ status, resolve }))),
    cancel: () => call.cancel(),
  };
}

function decodeStatus(bytes: Buffer): number {
  const reader = new BinaryReader(bytes);
  let status = 0;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1) status = reader.int32();
    else reader.skip(wireType);
  }
  return status;
}
