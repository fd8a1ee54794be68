/**
 * A minimal gRPC server reflection client (grpc.reflection.v1), the way grpcurl and buf curl use it:
 * list services, fetch the file declaring a symbol, then fetch any import still missing by file name.
 * Reflection has no generated code here, so its few messages are (de)coded by hand with protobuf-es'
 * wire helpers; the descriptors it returns are decoded with protobuf-es proper.
 */
import { fromBinary } from "@bufbuild/protobuf";
import { BinaryReader, BinaryWriter, WireType } from "@bufbuild/protobuf/wire";
import { FileDescriptorProtoSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import type * as grpc from "@grpc/grpc-js";

export const REFLECTION_V1 = "/grpc.reflection.v1.ServerReflection/ServerReflectionInfo";
export const REFLECTION_V1ALPHA = "/grpc.reflection.v1alpha.ServerReflection/ServerReflectionInfo";

/** One ServerReflectionRequest (its `message_request` oneof). */
export type ReflectionRequest = { listServices: string } | { fileContainingSymbol: string } | { fileByFilename: string };

/** The parts of a ServerReflectionResponse the tests look at. */
export interface ReflectionResponse {
  services: string[];
  fileDescriptorProtos: Uint8Array[];
  error?: { code: number; message: string };
}

/** Sends `requests` on one ServerReflectionInfo stream; one response per request, in order. */
export function reflect(client: grpc.Client, requests: ReflectionRequest[], path = REFLECTION_V1): Promise<ReflectionResponse[]> {
  return new Promise((resolve, reject) => {
    const responses: ReflectionResponse[] = [];
    const stream = client.makeBidiStreamRequest(path, encodeRequest, decodeResponse);
    stream.on("data", (response: ReflectionResponse) => responses.push(response));
    stream.on("error", reject);
    stream.on("end", () => resolve(responses));
    requests.forEach((request) => stream.write(request));
    stream.end();
  });
}

/**
 * The file declaring `symbol` and, transitively, every file it imports, fetched as a reflection client
 * does (by symbol, then missing imports by name). Fails if the server cannot supply one.
 */
export async function fetchFilesForSymbol(client: grpc.Client, symbol: string): Promise<Map<string, FileDescriptorProto>> {
  const files = new Map<string, FileDescriptorProto>();
  let requests: ReflectionRequest[] = [{ fileContainingSymbol: symbol }];
  while (requests.length > 0) {
    for (const response of await reflect(client, requests)) {
      if (response.error) throw new Error(`reflection error ${response.error.code}: ${response.error.message}`);
      for (const bytes of response.fileDescriptorProtos) {
        const file = fromBinary(FileDescriptorProtoSchema, bytes);
        files.set(file.name, file);
      }
    }
    const missing = new Set([...files.values()].flatMap((file) => file.dependency).filter((name) => !files.has(name)));
    requests = [...missing].map((fileByFilename) => ({ fileByFilename }));
  }
  return files;
}

// Field numbers from grpc/reflection/v1/reflection.proto.
function encodeRequest(request: ReflectionRequest): Buffer {
  const writer = new BinaryWriter();
  if ("listServices" in request) writer.tag(7, WireType.LengthDelimited).string(request.listServices);
  if ("fileContainingSymbol" in request) writer.tag(4, WireType.LengthDelimited).string(request.fileContainingSymbol);
  if ("fileByFilename" in request) writer.tag(3, WireType.LengthDelimited).string(request.fileByFilename);
  return Buffer.from(writer.finish());
}

function decodeResponse(bytes: Buffer): ReflectionResponse {
  const response: ReflectionResponse = { services: [], fileDescriptorProtos: [] };
  forEachField(bytes, (field, reader, wireType) => {
    if (field === 4) response.fileDescriptorProtos.push(...repeatedBytes(reader.bytes(), 1));
    else if (field === 6) response.services.push(...repeatedBytes(reader.bytes(), 1).map(serviceName));
    else if (field === 7) response.error = errorResponse(reader.bytes());
    else reader.skip(wireType);
  });
  return response;
}

/** The values of a `repeated bytes`/message field `number` of a message. */
function repeatedBytes(message: Uint8Array, number: number): Uint8Array[] {
  const values: Uint8Array[] = [];
  forEachField(message, (field, reader, wireType) => (field === number ? values.push(reader.bytes()) : reader.skip(wireType)));
  return values;
}

function serviceName(serviceResponse: Uint8Array): string {
  let name = "";
  forEachField(serviceResponse, (field, reader, wireType) => (field === 1 ? (name = reader.string()) : reader.skip(wireType)));
  return name;
}

function errorResponse(bytes: Uint8Array): { code: number; message: string } {
  const error = { code: 0, message: "" };
  forEachField(bytes, (field, reader, wireType) => {
    if (field === 1) error.code = reader.int32();
    else if (field === 2) error.message = reader.string();
    else reader.skip(wireType);
  });
  return error;
}

function forEachField(bytes: Uint8Array, visit: (field: number, reader: BinaryReader, wireType: WireType) => void): void {
  const reader = new BinaryReader(bytes);
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    visit(field, reader, wireType);
  }
}
