import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { fetchAllPages, PAGE_MAX } from "@/lib/pages";
import { orgKey } from "@/lib/queryKeys";

export type Source = components["schemas"]["SourceOut"];
export type SourceIn = components["schemas"]["SourceIn"];

export function useSources(orgId: string) {
  return useQuery({
    queryKey: orgKey(orgId, "sources", "list"),
    queryFn: () =>
      fetchAllPages(
        (offset, limit) =>
          unwrap(api.GET("/api/v1/orgs/{org_id}/sources", { params: { path: { org_id: orgId }, query: { offset, limit } } })),
        PAGE_MAX,
      ),
  });
}

function useSourceMutation<TBody>(orgId: string, call: (body: TBody) => Promise<unknown>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSuccess: () => client.invalidateQueries({ queryKey: orgKey(orgId, "sources") }),
  });
}

export function useVote(orgId: string) {
  return useSourceMutation(orgId, ({ id, accurate }: { id: string; accurate: boolean }) =>
    unwrap(api.POST("/api/v1/orgs/{org_id}/sources/{source_id}/votes", { params: { path: { org_id: orgId, source_id: id } }, body: { accurate } })),
  );
}

/** Create a listing (`id` null) or replace an org listing's figures. */
export function useSaveSource(orgId: string) {
  return useSourceMutation(orgId, ({ id, body }: { id: string | null; body: SourceIn }) =>
    id === null
      ? unwrap(api.POST("/api/v1/orgs/{org_id}/sources", { params: { path: { org_id: orgId } }, body }))
      : unwrap(api.PUT("/api/v1/orgs/{org_id}/sources/{source_id}", { params: { path: { org_id: orgId, source_id: id } }, body })),
  );
}

export function useDeleteSource(orgId: string) {
  return useSourceMutation(orgId, (id: string) =>
    unwrap(api.DELETE("/api/v1/orgs/{org_id}/sources/{source_id}", { params: { path: { org_id: orgId, source_id: id } } })),
  );
}

/**
 * Numbers typed into a form: empty is null, text that is not a number is reported on its
 * field here (sent as JSON it would become null and silently mean "unknown").
 */
export function readNumbers<K extends string>(texts: Record<K, string>): { values: Record<K, number | null>; errors: Partial<Record<K, string>> } {
  const values = {} as Record<K, number | null>;
  const errors: Partial<Record<K, string>> = {};
  for (const key of Object.keys(texts) as K[]) {
    const raw = texts[key].trim();
    const n = raw === "" ? null : Number(raw);
    if (n !== null && !Number.isFinite(n)) errors[key] = "Enter a number";
    values[key] = n;
  }
  return { values, errors };
}
