/**
 * gRPC server reflection (v1 and v1alpha), so grpcurl, buf curl and Postman discover the API without the
 * .proto files. `@grpc/reflection` reads a proto-loader package definition; we build one from the
 * protobuf-es descriptors the services are generated from, with every file they import (transitively),
 * because clients resolve a file's imports by asking for them by name. Like health, it is unauthenticated.
 *
 * Known limitation: @grpc/reflection re-encodes each file with protobufjs, which drops custom options
 * (`google.api.http`, `keyward.v1.access`, field_behavior) from what it serves. Types, services and imports
 * are intact, which is all grpcurl, buf curl and Postman need to call the API.
 */
import { clone, toBinary, type DescFile, type DescService } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema } from "@bufbuild/protobuf/wkt";
import type { ProtobufTypeDefinition, Server } from "@grpc/grpc-js";
import { ReflectionService } from "@grpc/reflection";
import { service as healthServiceDefinition } from "grpc-health-check";
import { canonicalFileDescriptor } from "./grpc-health-descriptor.js";

type PackageDefinition = ConstructorParameters<typeof ReflectionService>[0];

/** The health service, listed by reflection beside Keyward's own. */
export const HEALTH_SERVICE = "grpc.health.v1.Health";

/**
 * Registers reflection on `server`, listing `services` and health, so a reflection-only client (buf curl,
 * grpcurl, Postman) can call either. Reflection itself is not listed, as grpc-js does not describe it.
 */
export function addGrpcReflection(server: Server, services: readonly DescService[]): void {
  const packageDefinition = reflectionPackageDefinition(services);
  const listed = [...services.map((service) => service.typeName), HEALTH_SERVICE];
  new ReflectionService(packageDefinition, { services: listed }).addToServer(server);
}

/**
 * A proto-loader style package definition holding the serialized `FileDescriptorProto` of each file that
 * declares one of `services`, of every file those import, and of the health service's file.
 * `@grpc/reflection` only reads `fileDescriptorProtos`, so one entry carries all our files.
 */
function reflectionPackageDefinition(services: readonly DescService[]): PackageDefinition {
  const files = filesWithImports(services.map((service) => service.file));
  const healthFiles = (healthServiceDefinition.Check?.requestType.fileDescriptorProtos ?? []).map(canonicalFileDescriptor);
  const allFiles: ProtobufTypeDefinition = {
    format: "Protocol Buffer 3 FileDescriptorProto",
    type: {},
    fileDescriptorProtos: [...files.map(serializeFile), ...healthFiles],
  };
  // proto-loader's typing wants per-type entries; reflection reads nothing but `fileDescriptorProtos`.
  return { "keyward.reflection": allFiles } as unknown as PackageDefinition;
}

/** `roots` and everything they import, each file once. */
function filesWithImports(roots: readonly DescFile[]): DescFile[] {
  const byName = new Map<string, DescFile>();
  const visit = (file: DescFile) => {
    if (byName.has(file.name)) return;
    byName.set(file.name, file);
    file.dependencies.forEach(visit);
  };
  roots.forEach(visit);
  return [...byName.values()];
}

/**
 * The file's `FileDescriptorProto`, its import list set from `DescFile.dependencies`: protoc-gen-es embeds
 * descriptors without `dependency` (protobuf-es 2.13 restores it when loading, which we do not rely on),
 * and a reflection client needs it to fetch the imports.
 */
function serializeFile(file: DescFile): Buffer {
  const proto = clone(FileDescriptorProtoSchema, file.proto);
  proto.dependency = file.dependencies.map((dependency) => dependency.proto.name);
  return Buffer.from(toBinary(FileDescriptorProtoSchema, proto));
}
