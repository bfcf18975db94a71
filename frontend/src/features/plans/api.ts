import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { orgKey } from "@/lib/queryKeys";

export type PlanOut = components["schemas"]["PlanOut"];
export type PlanRequestIn = components["schemas"]["PlanRequestIn"];
export type ApplyOut = components["schemas"]["ApplyOut"];
export type WhatIfOut = components["schemas"]["WhatIfOut"];
export type VariantIn = components["schemas"]["VariantIn"];

const ACTIVE = new Set(["queued", "solving"]);

export function usePlans(orgId: string) {
  return useQuery({
    queryKey: orgKey(orgId, "plans", "list"),
    queryFn: async () =>
      (await unwrap(api.GET("/api/v1/orgs/{org_id}/plans", { params: { path: { org_id: orgId }, query: { limit: 50 } } }))).items,
  });
}

/**
 * One plan. The org's live feed writes status changes into this cache entry; while the plan
 * is still queued or solving a slow poll is the fallback for a dropped socket.
 */
export function usePlan(orgId: string, planId: string) {
  return useQuery({
    queryKey: orgKey(orgId, "plans", "detail", planId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/orgs/{org_id}/plans/{plan_id}", { params: { path: { org_id: orgId, plan_id: planId } } })),
    refetchInterval: (query) => (query.state.data && ACTIVE.has(query.state.data.status) ? 10_000 : false),
  });
}

export function useRequestPlan(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: PlanRequestIn) =>
      unwrap(api.POST("/api/v1/orgs/{org_id}/plans", { params: { path: { org_id: orgId } }, body })),
    onSuccess: (plan) => {
      client.setQueryData(orgKey(orgId, "plans", "detail", plan.id), plan);
      void client.invalidateQueries({ queryKey: orgKey(orgId, "plans", "list") });
    },
  });
}

export function useApplyPlan(orgId: string, planId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () =>
      unwrap(api.POST("/api/v1/orgs/{org_id}/plans/{plan_id}/apply", { params: { path: { org_id: orgId, plan_id: planId } } })),
    onSuccess: () => {
      for (const d of ["crafts", "stock", "history", "goals", "reservations", "plans"] as const) {
        void client.invalidateQueries({ queryKey: orgKey(orgId, d) });
      }
    },
  });
}

export function useWhatIf(orgId: string, planId: string, enabled: boolean) {
  return useQuery({
    queryKey: orgKey(orgId, "plans", "whatif", planId),
    queryFn: () =>
      unwrap(api.GET("/api/v1/orgs/{org_id}/plans/{plan_id}/whatif", { params: { path: { org_id: orgId, plan_id: planId } } })),
    enabled,
    refetchInterval: (query) => (query.state.data?.variants.some((v) => ACTIVE.has(v.status)) ? 5_000 : false),
  });
}

export function useRunWhatIf(orgId: string, planId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (variants: VariantIn[]) =>
      unwrap(
        api.POST("/api/v1/orgs/{org_id}/plans/{plan_id}/whatif", {
          params: { path: { org_id: orgId, plan_id: planId } },
          body: { variants },
        }),
      ),
    onSuccess: (out) => client.setQueryData(orgKey(orgId, "plans", "whatif", planId), out),
  });
}

export function useShipsForPlan(orgId: string) {
  return useQuery({
    queryKey: orgKey(orgId, "ships", "list"),
    queryFn: () => unwrap(api.GET("/api/v1/orgs/{org_id}/ships", { params: { path: { org_id: orgId }, query: { limit: 200 } } })),
  });
}

export { useBlueprintList as useBlueprintNames, useGoalList as useGoalNames } from "@/lib/lookups";
