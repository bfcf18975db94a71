import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { orgKey } from "@/lib/queryKeys";

export type Goal = components["schemas"]["GoalOut"];
export type GoalIn = components["schemas"]["GoalIn"];
export type TargetProgress = components["schemas"]["TargetProgress"];

export function useSaveGoal(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id?: string; body: GoalIn }) =>
      id
        ? unwrap(api.PUT("/api/v1/orgs/{org_id}/goals/{goal_id}", { params: { path: { org_id: orgId, goal_id: id } }, body }))
        : unwrap(api.POST("/api/v1/orgs/{org_id}/goals", { params: { path: { org_id: orgId } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKey(orgId, "goals") }),
  });
}

export function useCancelGoal(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.POST("/api/v1/orgs/{org_id}/goals/{goal_id}/cancel", { params: { path: { org_id: orgId, goal_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKey(orgId, "goals") }),
  });
}

/** Share of a target covered by free stock and by crafts under way (each 0-1, summing ≤ 1). */
export function targetShares(t: TargetProgress): { stock: number; crafts: number } {
  if (t.quantity <= 0) return { stock: 1, crafts: 0 };
  const stock = Math.min(1, t.in_stock / t.quantity);
  const crafts = Math.min(1 - stock, t.in_crafts / t.quantity);
  return { stock, crafts };
}

export { useGoalList as useGoals } from "@/lib/lookups";
