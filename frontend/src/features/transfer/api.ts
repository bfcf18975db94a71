import { useMutation, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { orgKey, type Domain } from "@/lib/queryKeys";
import { saveBlob } from "@/lib/download";

export type ImportReport = components["schemas"]["ImportReport"];
export type ImportKind = ImportReport["kind"];
export type ExportKind = Exclude<ImportKind, "uex-prices" | "scunpacked-blueprints">;
export type FileFormat = ImportReport["format"];

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

/** Upload a file: a dry run (`apply` false) reports every row; `apply` writes it. */
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
    onSuccess: (report, { kind }) => {
      if (!report.applied) return;
      for (const domain of TOUCHES[kind]) void client.invalidateQueries({ queryKey: orgKey(orgId, domain) });
    },
  });
}

/** Download the org's records of a kind as a file (the import layout). */
export async function downloadExport(orgId: string, kind: ExportKind, format: FileFormat): Promise<void> {
  const blob = await unwrap(
    api.GET("/api/v1/orgs/{org_id}/exports", { params: { path: { org_id: orgId }, query: { kind, format } }, parseAs: "blob" }),
  );
  saveBlob(blob as Blob, `${kind}.${format}`);
}
