import { create, createFileRegistry, type FileRegistry } from "@bufbuild/protobuf";
import { FileDescriptorSetSchema, type FileDescriptorProto } from "@bufbuild/protobuf/wkt";
import * as grpc from "@grpc/grpc-js";
import { expect } from "chai";
import { silentLogger } from "../../src/logger.js";
import { startGrpcServer, type GrpcListener } from "../../src/transport/grpc-server.js";
import { createInvoker } from "../../src/transport/invoke.js";
import { fetchFilesForSymbol, reflect, REFLECTION_V1, REFLECTION_V1ALPHA } from "./support/reflection-test-client.js";
import { createStubServices } from "./support/stub-service.js";

const KEYWARD_SERVICES = ["keyward.v1.UserRegistry", "keyward.v1.ApiKeyRegistry", "keyward.v1.AuthService", "keyward.v1.SessionRegistry", "keyward.v1.TenantRegistry"];

describe("transport/grpc-reflection", () => {
  let listener: GrpcListener;
  let client: grpc.Client;
  before(async () => {
    const stub = createStubServices();
    listener = await startGrpcServer({
      bindings: stub.bindings,
      invoker: createInvoker(stub.bindings, stub.interceptors),
      address: "127.0.0.1:0",
      logger: silentLogger,
    });
    client = new grpc.Client(listener.address, grpc.credentials.createInsecure());
  });
  after(async () => {
    client.close();
    await listener.shutdown();
  });

  for (const path of [REFLECTION_V1, REFLECTION_V1ALPHA]) {
    it(`lists the keyward services and health, without credentials (${path.split(".")[2]})`, async () => {
      const [response] = await reflect(client, [{ listServices: "*" }], path);
      expect(response?.error).to.equal(undefined);
      expect(response?.services).to.have.members([...KEYWARD_SERVICES, "grpc.health.v1.Health"]);
    });
  }

  it("serves each service's file with its imports, which decode into a complete registry", async () => {
    const files = await fetchFilesForSymbol(client, "keyward.v1.UserRegistry");
    const user = files.get("keyward/v1/user.proto");
    expect(user?.dependency).to.include.members([
      "google/api/annotations.proto",
      "google/api/field_behavior.proto",
      "google/protobuf/field_mask.proto",
      "google/protobuf/timestamp.proto",
      "keyward/v1/rights.proto",
    ]);
    expect([...files.keys()]).to.include.members(["google/api/http.proto", "google/protobuf/descriptor.proto"]);
    const registry = registryOf(files);
    const service = registry.getService("keyward.v1.UserRegistry");
    expect(service?.methods.map((method) => method.name)).to.deep.equal(["CreateUser", "GetUser", "ListUsers", "UpdateUser", "DeleteUser", "UpdatePassword"]);
  });

  it("resolves every keyward service and its message types", async () => {
    for (const name of KEYWARD_SERVICES) {
      const registry = registryOf(await fetchFilesForSymbol(client, name));
      const service = registry.getService(name);
      expect(service?.methods.length, name).to.be.greaterThan(0);
    }
    const auth = registryOf(await fetchFilesForSymbol(client, "keyward.v1.GetAuthInfoResponse"));
    expect(auth.getMessage("keyward.v1.GetAuthInfoResponse")?.fields.map((field) => field.name)).to.deep.equal(["user", "api_key", "rights", "session", "tenant"]);
  });
});

/** A registry of every file; fails unless each import of each file is among `files`. */
function registryOf(files: Map<string, FileDescriptorProto>): FileRegistry {
  // Hand the files over in dependency order, as a FileDescriptorSet must be.
  const ordered = new Map<string, FileDescriptorProto>();
  const visit = (name: string, importedBy: string) => {
    const file = files.get(name);
    if (file === undefined) throw new Error(`reflection did not supply ${name}, imported by ${importedBy}`);
    if (ordered.has(name)) return;
    file.dependency.forEach((dependency) => visit(dependency, name));
    ordered.set(name, file);
  };
  for (const name of files.keys()) visit(name, "(root)");
  return createFileRegistry(create(FileDescriptorSetSchema, { file: [...ordered.values()] }));
}
