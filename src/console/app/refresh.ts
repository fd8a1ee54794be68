/** Refetching what a change made stale: every query of one service, lists and single records alike. */
import type { DescService } from "@bufbuild/protobuf";
import { createConnectQueryKey } from "@connectrpc/connect-query";
import { useQueryClient } from "@tanstack/react-query";

/** A function that refetches every query of `service` (e.g. `UserRegistry` after a user changed). */
export function useRefresh(service: DescService): () => Promise<void> {
  const queryClient = useQueryClient();
  return () => queryClient.invalidateQueries({ queryKey: createConnectQueryKey({ schema: service, cardinality: undefined }) });
}
