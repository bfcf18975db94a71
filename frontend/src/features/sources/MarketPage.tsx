import { Button, HTMLTable, Intent, Tag } from "@blueprintjs/core";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { EmptyState } from "@/components/EmptyState";
import { PageHeader } from "@/components/PageHeader";
import { SkeletonRows } from "@/components/Skeleton";
import { api, unwrap } from "@/lib/api/client";
import { formatAuec, formatDateTime, formatPercent, formatQuality, formatQuantity } from "@/lib/format";
import { itemLabel, locationLabel, useItems, useLocations } from "@/lib/lookups";
import { useOrgId } from "@/lib/org";
import { fetchAllPages, PAGE_MAX } from "@/lib/pages";
import { orgKey } from "@/lib/queryKeys";
import { useCan } from "@/lib/role";
import { toastError, toastSuccess } from "@/lib/toast";

function useSources(orgId: string) {
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

function useVote(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, accurate }: { id: string; accurate: boolean }) =>
      unwrap(api.POST("/api/v1/orgs/{org_id}/sources/{source_id}/votes", { params: { path: { org_id: orgId, source_id: id } }, body: { accurate } })),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKey(orgId, "sources") }),
  });
}

/** Market listings with price, lot size, reliability and votes; one vote per member per day. */
export default function MarketPage() {
  const orgId = useOrgId();
  const sources = useSources(orgId);
  const items = useItems(orgId);
  const locations = useLocations(orgId);
  const vote = useVote(orgId);
  const writable = useCan(orgId, "write");
  const list = sources.data ?? [];
  return (
    <div className="qm-page">
      <PageHeader title="Market" />
      {sources.isPending ? (
        <SkeletonRows />
      ) : list.length === 0 ? (
        <EmptyState icon="shop" title="No listing yet" next="Market listings let plans buy what the org lacks." />
      ) : (
        <HTMLTable compact striped className="qm-table" aria-label="Market listings">
          <thead>
            <tr><th>Item</th><th>Terminal</th><th>Price</th><th>Lot</th><th>Available</th><th>Quality</th><th>Reliability</th><th>Verified</th><th /></tr>
          </thead>
          <tbody>
            {list.map((s) => {
              const unit = items.byId.get(s.item_id)?.unit;
              return (
                <tr key={s.id}>
                  <td>{itemLabel(items.byId, s.item_id)}</td>
                  <td>{s.holder_name ?? locationLabel(locations.byId, s.location_id)}</td>
                  <td className="qm-num">{formatAuec(s.price)}</td>
                  <td>{s.lot_size ? formatQuantity(s.lot_size, unit) : "any"}</td>
                  <td>{s.available !== null ? formatQuantity(s.available, unit) : "∞"}</td>
                  <td>{formatQuality(s.quality)}</td>
                  <td><Tag minimal intent={s.reliability > 0.8 ? Intent.SUCCESS : s.reliability < 0.5 ? Intent.WARNING : Intent.NONE}>{formatPercent(s.reliability)}</Tag> <span className="qm-muted">{s.votes} votes</span></td>
                  <td>{formatDateTime(s.last_verified_at)}</td>
                  <td>
                    {writable && (
                      <>
                        <Button small minimal icon="thumbs-up" aria-label="Listing is accurate" onClick={() => vote.mutate({ id: s.id, accurate: true }, { onSuccess: () => toastSuccess("Vote recorded"), onError: toastError })} />
                        <Button small minimal icon="thumbs-down" aria-label="Listing is wrong" onClick={() => vote.mutate({ id: s.id, accurate: false }, { onSuccess: () => toastSuccess("Vote recorded"), onError: toastError })} />
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </HTMLTable>
      )}
    </div>
  );
}
