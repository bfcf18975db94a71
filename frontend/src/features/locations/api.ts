import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { orgKey } from "@/lib/queryKeys";

export type LocationCreate = components["schemas"]["LocationCreate"];

export function useCreateLocation(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: LocationCreate) =>
      unwrap(api.POST("/api/v1/orgs/{org_id}/locations", { params: { path: { org_id: orgId } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKey(orgId, "locations") }),
  });
}
