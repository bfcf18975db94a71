// The public commons (docs/commons.md): the public read API, the user's submissions, the
// moderation queue and the org's hidden public blueprints.
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import { ApiError } from "@/lib/api/problem";
import type { components } from "@/lib/api/schema";
import { orgKey } from "@/lib/queryKeys";

export type Entity = components["schemas"]["EntityOut"];
export type Version = components["schemas"]["VersionOut"];
export type Submission = components["schemas"]["SubmissionOut"];
export type SubmissionIn = components["schemas"]["SubmissionIn"];
export type DecisionIn = components["schemas"]["DecisionIn"];
export type EntityKind = SubmissionIn["kind"];

// Not org data: the commons is shared by every org, so its keys live outside ["org", …].
const commonsKey = ["commons"] as const;

/** Published entities of one kind, or a full-text search over all of them. */
export function usePublicEntities(kind: EntityKind, q: string) {
  const term = q.trim();
  return useQuery({
    queryKey: [...commonsKey, "public", kind, term],
    queryFn: async (): Promise<Entity[]> => {
      if (term !== "") return unwrap(api.GET("/api/v1/public/search", { params: { query: { q: term, kind, limit: 100 } } }));
      const path = `/api/v1/public/${kind === "blueprint" ? "blueprints" : kind === "item" ? "items" : kind === "location" ? "locations" : "tags"}` as const;
      return (await unwrap(api.GET(path, { params: { query: { limit: 200 } } }))).items;
    },
    placeholderData: keepPreviousData,
  });
}

export function useVersions(entityId: string | null) {
  return useQuery({
    queryKey: [...commonsKey, "versions", entityId],
    queryFn: () => unwrap(api.GET("/api/v1/public/entities/{entity_id}/versions", { params: { path: { entity_id: entityId ?? "" } } })),
    enabled: entityId !== null,
  });
}

/** The caller's submissions (scope "mine") or, for curators and moderators, the queue. */
export function useSubmissions(scope: "mine" | "queue", status?: string) {
  return useQuery({
    queryKey: [...commonsKey, "submissions", scope, status ?? "all"],
    queryFn: () =>
      unwrap(api.GET("/api/v1/commons/submissions", { params: { query: { scope, limit: 200, ...(status ? { status } : {}) } } })),
    // A 403 on the queue means "not a moderator": an answer, not a glitch to retry or toast.
    retry: false,
  });
}

/** True when the caller may read the moderation queue (curator or moderator). */
export function isForbidden(error: unknown): boolean {
  return error instanceof ApiError && error.status === 403;
}

export function useSubmit() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: SubmissionIn) => unwrap(api.POST("/api/v1/commons/submissions", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: [...commonsKey, "submissions"] }),
  });
}

export function useResubmit() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, data, source_ref }: { id: string; data: Record<string, unknown>; source_ref: string }) =>
      unwrap(api.PUT("/api/v1/commons/submissions/{submission_id}", { params: { path: { submission_id: id } }, body: { data, source_ref } })),
    onSuccess: () => client.invalidateQueries({ queryKey: [...commonsKey, "submissions"] }),
  });
}

export function useDecide() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, body }: { id: string; body: DecisionIn }) =>
      unwrap(api.POST("/api/v1/commons/submissions/{submission_id}/decision", { params: { path: { submission_id: id } }, body })),
    // A decision may publish: the public lists change too.
    onSuccess: () => client.invalidateQueries({ queryKey: commonsKey }),
  });
}

export function useHide(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ entityId, hidden }: { entityId: string; hidden: boolean }) =>
      unwrap(api.PUT("/api/v1/orgs/{org_id}/commons/hidden/{entity_id}", { params: { path: { org_id: orgId, entity_id: entityId } }, body: { hidden } })),
    // The org's blueprint list (and so its plans) no longer include it.
    onSuccess: () => client.invalidateQueries({ queryKey: orgKey(orgId, "blueprints") }),
  });
}

/** Unpublish an entity (curators and moderators): gone from lists, search and new plans. */
export function useTakedown() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ entityId, reason }: { entityId: string; reason: string }) =>
      unwrap(api.POST("/api/v1/commons/entities/{entity_id}/takedown", { params: { path: { entity_id: entityId } }, body: { reason } })),
    onSuccess: () => client.invalidateQueries({ queryKey: commonsKey }),
  });
}
