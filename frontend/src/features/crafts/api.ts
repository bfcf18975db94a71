import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { fetchAllPages, PAGE_MAX } from "@/lib/pages";
import { orgKey } from "@/lib/queryKeys";

export type Craft = components["schemas"]["CraftOut"];
export type CraftStatus = Craft["status"];

export function useCrafts(orgId: string) {
  return useQuery({
    queryKey: orgKey(orgId, "crafts", "list"),
    queryFn: () =>
      fetchAllPages(
        (offset, limit) =>
          unwrap(api.GET("/api/v1/orgs/{org_id}/crafts", { params: { path: { org_id: orgId }, query: { offset, limit } } })),
        PAGE_MAX,
      ),
  });
}

type Action = "start" | "complete" | "cancel";

export function useCraftAction(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, action, runs }: { id: string; action: Action; runs?: number }) => {
      const params = { path: { org_id: orgId, craft_id: id } };
      if (action === "start") return unwrap(api.POST("/api/v1/orgs/{org_id}/crafts/{craft_id}/start", { params }));
      if (action === "cancel") return unwrap(api.POST("/api/v1/orgs/{org_id}/crafts/{craft_id}/cancel", { params }));
      return unwrap(api.POST("/api/v1/orgs/{org_id}/crafts/{craft_id}/complete", { params, body: { runs: runs ?? null } }));
    },
    onSuccess: () => {
      for (const d of ["crafts", "stock", "history", "goals", "reservations"] as const) {
        void client.invalidateQueries({ queryKey: orgKey(orgId, d) });
      }
    },
  });
}

export const COLUMNS: { status: CraftStatus; title: string }[] = [
  { status: "planned", title: "Planned" },
  { status: "in_progress", title: "In progress" },
  { status: "completed", title: "Completed" },
  { status: "cancelled", title: "Cancelled" },
];

export { useBlueprintList as useBlueprints } from "@/lib/lookups";

export type CraftIn = components["schemas"]["CraftIn"];
export type CraftPatch = components["schemas"]["CraftPatch"];

function useCraftMutation<TBody>(orgId: string, call: (body: TBody) => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSuccess: () => client.invalidateQueries({ queryKey: orgKey(orgId, "crafts") }),
  });
}

/** Plan a craft by hand: N runs of a blueprint at a location, optionally with a crafter. */
export function useCreateCraft(orgId: string) {
  return useCraftMutation(orgId, (body: CraftIn) =>
    unwrap(api.POST("/api/v1/orgs/{org_id}/crafts", { params: { path: { org_id: orgId } }, body })),
  );
}

/** Assign (or with null unassign) the crafter, or change the priority. */
export function useUpdateCraft(orgId: string) {
  return useCraftMutation(orgId, ({ id, body }: { id: string; body: CraftPatch }) =>
    unwrap(api.PATCH("/api/v1/orgs/{org_id}/crafts/{craft_id}", { params: { path: { org_id: orgId, craft_id: id } }, body })),
  );
}

/** The org's members, to pick a crafter from (same query as the members page). */
export function useCrafters(orgId: string) {
  return useQuery({
    queryKey: orgKey(orgId, "members"),
    queryFn: () => unwrap(api.GET("/api/v1/orgs/{org_id}/members", { params: { path: { org_id: orgId } } })),
  });
}
