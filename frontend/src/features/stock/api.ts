import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components, paths } from "@/lib/api/schema";
import { fetchAllPages, PAGE_MAX } from "@/lib/pages";
import { orgKey } from "@/lib/queryKeys";
import { sortStockRows } from "./tree";

export type StockRow = components["schemas"]["StockOut"];
export type HistoryRow = components["schemas"]["HistoryOut"];
export type AdjustIn = components["schemas"]["AdjustIn"];
export type TransferIn = components["schemas"]["TransferIn"];
export type ReserveIn = components["schemas"]["ReserveIn"];
export type WhereIsRow = components["schemas"]["WhereIsRow"];
type HistoryKind = NonNullable<NonNullable<paths["/api/v1/orgs/{org_id}/stock/history"]["get"]["parameters"]["query"]>["kind"]>;

/** Every visible stock row of the org (paged reads of 500), by item name then location path. */
export function useStock(orgId: string) {
  return useQuery({
    queryKey: orgKey(orgId, "stock", "all"),
    queryFn: async () =>
      sortStockRows(
        await fetchAllPages(
          (offset, limit) =>
            unwrap(api.GET("/api/v1/orgs/{org_id}/stock", { params: { path: { org_id: orgId }, query: { offset, limit } } })),
          PAGE_MAX,
        ),
      ),
  });
}

/** Where is item X: the item's totals by location, quality and tier (org / shared member stock). */
export function useWhereIs(orgId: string, itemId: string) {
  return useQuery({
    queryKey: orgKey(orgId, "stock", "where", itemId),
    enabled: itemId !== "",
    queryFn: () =>
      fetchAllPages(
        (offset, limit) =>
          unwrap(
            api.GET("/api/v1/orgs/{org_id}/stock/where", {
              params: { path: { org_id: orgId }, query: { item_id: itemId, offset, limit } },
            }),
          ),
        PAGE_MAX,
      ),
  });
}

export interface HistoryFilter {
  item_id?: string;
  location_id?: string;
  kind?: HistoryKind | "";
  since?: string | undefined;
  until?: string | undefined;
}

/**
 * The history window of a "from" and a "to" day (YYYY-MM-DD, either may be empty) in the
 * browser's time zone: from the start of "from" to the next midnight after "to", so the "to"
 * day is included. An error (shown on the "to" field) when "to" is before "from".
 */
export function dayRange(from: string, to: string): { since?: string; until?: string; error?: string } {
  const start = from ? new Date(`${from}T00:00:00`) : null;
  const end = to ? new Date(`${to}T00:00:00`) : null;
  if (end) end.setDate(end.getDate() + 1);
  if ((start && Number.isNaN(start.getTime())) || (end && Number.isNaN(end.getTime()))) return { error: "Not a date" };
  if (start && end && end <= start) return { error: "The end day is before the start day" };
  return { ...(start ? { since: start.toISOString() } : {}), ...(end ? { until: end.toISOString() } : {}) };
}

export function useHistory(orgId: string, filter: HistoryFilter) {
  return useQuery({
    queryKey: orgKey(orgId, "history", filter),
    queryFn: () =>
      fetchAllPages(
        (offset, limit) =>
          unwrap(
            api.GET("/api/v1/orgs/{org_id}/stock/history", {
              params: {
                path: { org_id: orgId },
                query: {
                  offset,
                  limit,
                  item_id: filter.item_id || undefined,
                  location_id: filter.location_id || undefined,
                  kind: filter.kind || undefined,
                  since: filter.since,
                  until: filter.until,
                },
              },
            }),
          ),
        500,
        5000,
      ),
  });
}

function useStockMutation<TBody, TOut>(orgId: string, call: (body: TBody) => Promise<TOut>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: call,
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: orgKey(orgId, "stock") });
      void client.invalidateQueries({ queryKey: orgKey(orgId, "history") });
      void client.invalidateQueries({ queryKey: orgKey(orgId, "goals") });
      void client.invalidateQueries({ queryKey: orgKey(orgId, "reservations") });
    },
  });
}

export function useAdjust(orgId: string) {
  return useStockMutation(orgId, (body: AdjustIn) =>
    unwrap(api.POST("/api/v1/orgs/{org_id}/stock/adjust", { params: { path: { org_id: orgId } }, body })),
  );
}

export function useTransfer(orgId: string) {
  return useStockMutation(orgId, (body: TransferIn) =>
    unwrap(api.POST("/api/v1/orgs/{org_id}/stock/transfer", { params: { path: { org_id: orgId } }, body })),
  );
}

export function useReserve(orgId: string) {
  return useStockMutation(orgId, (body: ReserveIn) =>
    unwrap(api.POST("/api/v1/orgs/{org_id}/stock/reservations", { params: { path: { org_id: orgId } }, body })),
  );
}

/** Share a personal row with the org (`share`) or take it back (`withdraw`). */
export function useSharing(orgId: string) {
  return useStockMutation(orgId, ({ stockId, action }: { stockId: string; action: "share" | "withdraw" }) =>
    action === "share"
      ? unwrap(api.POST("/api/v1/orgs/{org_id}/stock/{stock_id}/share", { params: { path: { org_id: orgId, stock_id: stockId } } }))
      : unwrap(api.POST("/api/v1/orgs/{org_id}/stock/{stock_id}/withdraw", { params: { path: { org_id: orgId, stock_id: stockId } } })),
  );
}
