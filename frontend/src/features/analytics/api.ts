import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { orgKey } from "@/lib/queryKeys";

export type Dashboard = components["schemas"]["DashboardOut"];
export type WeekPoint = components["schemas"]["WeekPoint"];
export type BlueprintStat = components["schemas"]["BlueprintStat"];

/** The org dashboard over the last `weeks` ISO weeks (admins; others get 403). */
export function useDashboard(orgId: string, weeks: number, enabled = true) {
  return useQuery({
    queryKey: orgKey(orgId, "analytics", "dashboard", weeks),
    queryFn: () => unwrap(api.GET("/api/v1/orgs/{org_id}/analytics/dashboard", { params: { path: { org_id: orgId }, query: { weeks } } })),
    enabled,
  });
}

/** Usage statistics of every blueprint the org has crafted (admins). */
export function useBlueprintStats(orgId: string, enabled = true) {
  return useQuery({
    queryKey: orgKey(orgId, "analytics", "blueprints"),
    queryFn: () => unwrap(api.GET("/api/v1/orgs/{org_id}/analytics/blueprints", { params: { path: { org_id: orgId } } })),
    enabled,
  });
}
