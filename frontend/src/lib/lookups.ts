// Names for ids, shared by every feature: the item catalogue and the org's location tree are
// reference data every screen labels rows with, so they live here rather than in one feature.
import { useQuery } from "@tanstack/react-query";
import { useMemo } from "react";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { fetchAllPages, PAGE_MAX } from "@/lib/pages";
import { orgKey } from "@/lib/queryKeys";

export type Item = components["schemas"]["ItemOut"];
export type Location = components["schemas"]["LocationOut"];

export function useItems(orgId: string) {
  const query = useQuery({
    queryKey: orgKey(orgId, "items", "all"),
    queryFn: () =>
      fetchAllPages(
        (offset, limit) =>
          unwrap(api.GET("/api/v1/orgs/{org_id}/items", { params: { path: { org_id: orgId }, query: { offset, limit } } })),
        PAGE_MAX,
      ),
    staleTime: 5 * 60_000,
  });
  const byId = useMemo(() => new Map((query.data ?? []).map((i) => [i.id, i])), [query.data]);
  return { ...query, items: query.data ?? [], byId };
}

export function useLocations(orgId: string) {
  const query = useQuery({
    queryKey: orgKey(orgId, "locations", "all"),
    queryFn: () =>
      fetchAllPages(
        (offset, limit) =>
          unwrap(
            api.GET("/api/v1/orgs/{org_id}/locations", {
              params: { path: { org_id: orgId }, query: { offset, limit, include_universe: true } },
            }),
          ),
        PAGE_MAX,
      ),
    staleTime: 60_000,
  });
  const byId = useMemo(() => new Map((query.data ?? []).map((l) => [l.id, l])), [query.data]);
  return { ...query, locations: query.data ?? [], byId };
}

/** "Stanton / ArcCorp / Area18 / Org Hangar" for an id, or a short id while loading. */
export function locationLabel(byId: Map<string, Location>, id: string | null | undefined): string {
  if (!id) return "—";
  const loc = byId.get(id);
  return loc ? (loc.path ?? loc.name) : id.slice(0, 8);
}

export function itemLabel(byId: Map<string, Item>, id: string | null | undefined): string {
  if (!id) return "—";
  return byId.get(id)?.name ?? id.slice(0, 8);
}

/** The source key the engine uses ("own:<stock id>", "member:<id>", "market:<id>") split. */
export function parseSourceKey(key: string): { tier: string; id: string } {
  const at = key.indexOf(":");
  return at < 0 ? { tier: "", id: key } : { tier: key.slice(0, at), id: key.slice(at + 1) };
}

export type BlueprintOut = components["schemas"]["BlueprintOut"];

/** The blueprints the org can use (crafts, plans and the catalogue label things with them). */
export function useBlueprintList(orgId: string) {
  return useQuery({
    queryKey: orgKey(orgId, "blueprints", "list"),
    queryFn: () =>
      fetchAllPages(
        (offset, limit) =>
          unwrap(api.GET("/api/v1/orgs/{org_id}/blueprints", { params: { path: { org_id: orgId }, query: { offset, limit } } })),
        PAGE_MAX,
      ),
    staleTime: 60_000,
  });
}

/** The org's goals with progress (the goals page, the plan request form and the overview). */
export function useGoalList(orgId: string) {
  return useQuery({
    queryKey: orgKey(orgId, "goals", "list"),
    queryFn: () =>
      fetchAllPages(
        (offset, limit) =>
          unwrap(api.GET("/api/v1/orgs/{org_id}/goals", { params: { path: { org_id: orgId }, query: { offset, limit } } })),
        PAGE_MAX,
      ),
  });
}
