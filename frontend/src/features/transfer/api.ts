import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect } from "react";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { orgKey, type Domain } from "@/lib/queryKeys";
import { saveBlob } from "@/lib/download";

export type ImportReport = components["schemas"]["ImportReport"];
export type ImportKind = ImportReport["kind"];
export type ExportKind = Exclude<ImportKind, "uex-prices" | "scunpacked-blueprints">;
export type FileFormat = ImportReport["format"];
export type ImportJob = components["schemas"]["ImportJobOut"];

/** A large file's upload answers 202 with a job (a worker runs it) instead of the report. */
export function isImportJob(outcome: ImportReport | ImportJob): outcome is ImportJob {
  return "status" in outcome;
}

/** A job the worker has not finished yet. */
export function isRunning(job: ImportJob): boolean {
  return job.status === "queued" || job.status === "running";
}

/** How far a running job has got, 0..1 (validation counts as the first half). */
export function jobProgress(job: ImportJob): number {
  if (!isRunning(job)) return 1;
  const phase = job.rows_total > 0 ? Math.min(job.rows_done / job.rows_total, 1) : 0;
  if (job.phase === "apply") return 0.5 + phase / 2;
  return job.phase === "validate" ? phase / 2 : 0;
}

/** What an import of each kind may change (the caches to refresh after an apply). */
const TOUCHES: Record<ImportKind, Domain[]> = {
  items: ["items"],
  locations: ["locations"],
  ships: ["ships", "locations"],
  stock: ["stock", "history", "goals"],
  blueprints: ["blueprints"],
  "uex-prices": ["sources"],
  "scunpacked-blueprints": ["blueprints"],
};

function refresh(client: ReturnType<typeof useQueryClient>, orgId: string, kind: ImportKind): void {
  for (const domain of TOUCHES[kind]) void client.invalidateQueries({ queryKey: orgKey(orgId, domain) });
}

/** Upload a file: a dry run (`apply` false) reports every row; `apply` writes it. A file over
 * the server's inline limit answers with a job instead (follow it with `useImportJob`). */
export function useImport(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ kind, file, apply }: { kind: ImportKind; file: File; apply: boolean }) =>
      unwrap(
        api.POST("/api/v1/orgs/{org_id}/imports", {
          params: { path: { org_id: orgId }, query: { kind, apply } },
          // The generated type says "string" (binary); the serializer sends the File itself.
          body: { file: file as unknown as string },
          bodySerializer: () => {
            const form = new FormData();
            form.append("file", file);
            return form;
          },
        }),
      ),
    onSuccess: (outcome, { kind }) => {
      if (!isImportJob(outcome) && outcome.applied) refresh(client, orgId, kind);
    },
  });
}

/** A background import. The org socket writes its import.progress events into this cache
 * entry and re-reads it on import.done/failed (src/lib/live.ts); while it runs, a poll every
 * few seconds is the fallback for a dropped socket. Once an applied job is done, the caches
 * of what it changed are refreshed. */
export function useImportJob(orgId: string, jobId: string | null) {
  const client = useQueryClient();
  const query = useQuery({
    queryKey: orgKey(orgId, "imports", jobId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/orgs/{org_id}/imports/{job_id}", {
          params: { path: { org_id: orgId, job_id: jobId ?? "" } },
        }),
      ),
    enabled: jobId !== null,
    refetchInterval: (q) => (q.state.data && !isRunning(q.state.data) ? false : 3000),
  });
  const job = query.data;
  const appliedKind = job?.status === "done" && job.report?.applied ? job.kind : null;
  useEffect(() => {
    if (appliedKind) refresh(client, orgId, appliedKind);
  }, [client, orgId, appliedKind]);
  return query;
}

/** Download the org's records of a kind as a file (the import layout). */
export async function downloadExport(orgId: string, kind: ExportKind, format: FileFormat): Promise<void> {
  const blob = await unwrap(
    api.GET("/api/v1/orgs/{org_id}/exports", { params: { path: { org_id: orgId }, query: { kind, format } }, parseAs: "blob" }),
  );
  saveBlob(blob as Blob, `${kind}.${format}`);
}
