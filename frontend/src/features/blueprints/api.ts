import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { BlueprintOut } from "@/lib/lookups";
import { orgKey } from "@/lib/queryKeys";
import type { BlueprintIn } from "./form";

export type Blueprint = BlueprintOut;
export { useBlueprintList as useBlueprints } from "@/lib/lookups";

/** Create (no id) or replace one of the org's blueprints. */
export function useSaveBlueprint(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string | undefined; body: BlueprintIn }) =>
      id
        ? unwrap(api.PUT("/api/v1/orgs/{org_id}/blueprints/{blueprint_id}", { params: { path: { org_id: orgId, blueprint_id: id } }, body }))
        : unwrap(api.POST("/api/v1/orgs/{org_id}/blueprints", { params: { path: { org_id: orgId } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKey(orgId, "blueprints") }),
  });
}
