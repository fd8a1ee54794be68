/**
 * The health service's file descriptor as reflection clients need it. grpc-health-check ships one made
 * by protobufjs, which names field types relatively (`ServingStatus`, not
 * `.grpc.health.v1.HealthCheckResponse.ServingStatus`) and names the map entry of `statuses`
 * `Statuses` instead of `StatusesEntry`. protoc never writes either, and clients that build a registry
 * from what reflection serves (buf curl, grpcurl) refuse the file, so health could not be called through
 * reflection alone. Here every type name is resolved by protobuf's scoping rules and made fully
 * qualified, and map entries get their canonical names.
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import { FileDescriptorProtoSchema, type DescriptorProto } from "@bufbuild/protobuf/wkt";

/** `bytes` (a serialized FileDescriptorProto) with fully qualified type names and canonical map entry names. */
export function canonicalFileDescriptor(bytes: Uint8Array): Buffer {
  const file = fromBinary(FileDescriptorProtoSchema, bytes);
  const known = new Set<string>();
  const scope = file.package === "" ? "" : `.${file.package}`;
  for (const message of file.messageType) renameMapEntries(message);
  for (const message of file.messageType) collectNames(message, scope, known);
  for (const e of file.enumType) known.add(`${scope}.${e.name}`);
  for (const message of file.messageType) qualifyFields(message, scope, known);
  return Buffer.from(toBinary(FileDescriptorProtoSchema, file));
}

/** A map field `foo_bar`'s entry type is `FooBarEntry` (protoc's naming). */
function renameMapEntries(message: DescriptorProto): void {
  for (const nested of message.nestedType) renameMapEntries(nested);
  for (const field of message.field) {
    const entry = message.nestedType.find((nested) => nested.options?.mapEntry === true && nested.name === field.typeName);
    if (!entry) continue;
    entry.name = `${field.name.replace(/(?:^|_)([a-z0-9])/g, (_, c: string) => c.toUpperCase())}Entry`;
    field.typeName = entry.name;
  }
}

function collectNames(message: DescriptorProto, parent: string, known: Set<string>): void {
  const name = `${parent}.${message.name}`;
  known.add(name);
  for (const e of message.enumType) known.add(`${name}.${e.name}`);
  for (const nested of message.nestedType) collectNames(nested, name, known);
}

/** Resolves each relative type name from the innermost scope outwards, as protoc does. */
function qualifyFields(message: DescriptorProto, parent: string, known: Set<string>): void {
  const name = `${parent}.${message.name}`;
  for (const field of message.field) {
    if (field.typeName === "" || field.typeName.startsWith(".")) continue;
    for (let scope = name; ; scope = scope.slice(0, scope.lastIndexOf("."))) {
      const candidate = `${scope}.${field.typeName}`;
      if (known.has(candidate)) {
        field.typeName = candidate;
        break;
      }
      if (scope === "") break;
    }
  }
  for (const nested of message.nestedType) qualifyFields(nested, name, known);
}
