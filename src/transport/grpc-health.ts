/**
 * `grpc.health.v1.Health` on the gRPC listener (what Kubernetes gRPC probes, grpc_health_probe and load
 * balancers ask). It answers for the whole server ("") and for each service by full name. It does not go
 * through the invoker, so it needs no credentials.
 */
import type { Server } from "@grpc/grpc-js";
import { HealthImplementation, type ServingStatus } from "grpc-health-check";

/** The health service of one server. */
export interface GrpcHealth {
  /** SERVING or NOT_SERVING for "" and every service (NOT_SERVING first thing on shutdown). */
  setServing(serving: boolean): void;
}

/** Registers the health service on `server`, SERVING for "" and each of `serviceNames`. */
export function addGrpcHealth(server: Server, serviceNames: readonly string[]): GrpcHealth {
  const names = ["", ...serviceNames];
  const statusOf = (serving: boolean): ServingStatus => (serving ? "SERVING" : "NOT_SERVING");
  const health = new HealthImplementation(Object.fromEntries(names.map((name) => [name, statusOf(true)])));
  health.addToServer(server);
  return {
    setServing(serving) {
      for (const name of names) health.setStatus(name, statusOf(serving));
    },
  };
}
