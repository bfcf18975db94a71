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

export type PlanOut = components["schemas"]["PlanOut"];

export interface RefineryJob {
  planId: string;
  planName: string;
  appliedAt: string;
  blueprintId: string;
  runs: number;
}

/**
 * The refinery jobs of an applied plan: its craft lines of a fractional number of runs. A
 * refinery takes any quantity of ore, so applying such a line reserves the ore for the plan
 * instead of recording a whole-run craft (api/plans/service.py apply); they are read back
 * from the plan document here so the crafts board shows them next to the crafts.
 */
export function refineryJobs(plan: PlanOut): RefineryJob[] {
  if (!plan.applied_at || !plan.plan) return [];
  const lines = (plan.plan as { crafts?: { blueprint: string; runs: number }[] }).crafts ?? [];
  const name = (plan.request as { name?: string | null }).name ?? `Plan ${plan.id.slice(0, 8)}`;
  return lines
    .filter((l) => l.runs !== Math.trunc(l.runs))
    .map((l) => ({ planId: plan.id, planName: name, appliedAt: plan.applied_at ?? "", blueprintId: l.blueprint, runs: l.runs }));
}

/** Refinery jobs of the org's applied plans among its 50 newest, newest first. */
export function useRefineryJobs(orgId: string) {
  return useQuery({
    // Under "plans": applying a plan (and the live plan.applied event) refreshes it.
    queryKey: orgKey(orgId, "plans", "refinery-jobs"),
    queryFn: async () => {
      const page = await unwrap(api.GET("/api/v1/orgs/{org_id}/plans", { params: { path: { org_id: orgId }, query: { limit: 50 } } }));
      const applied = page.items.filter((p) => p.applied_at);
      const plans = await Promise.all(
        applied.map((p) => unwrap(api.GET("/api/v1/orgs/{org_id}/plans/{plan_id}", { params: { path: { org_id: orgId, plan_id: p.id } } }))),
      );
      return plans.flatMap(refineryJobs);
    },
  });
}
