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
      (bytes: Buffer) => {
        const reader = new BinaryReader(bytes);
        let status = 0;
        while (reader.pos < reader.len) {
          const [field, wireType] = reader.tag();
          if (field === 1) status = reader.int32();
          else reader.skip(wireType);
        }
        return status;
      },
      service,
      (error, status) => (error ? reject(error) : resolve(status!)),
    );
  });
}
