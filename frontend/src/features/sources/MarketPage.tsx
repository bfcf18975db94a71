import { Button, HTMLTable, Intent, Tag } from "@blueprintjs/core";
import { useState } from "react";
import { ConfirmDialog } from "@/components/ConfirmDialog";
import { EmptyState } from "@/components/EmptyState";
import { PageHeader } from "@/components/PageHeader";
import { SkeletonRows } from "@/components/Skeleton";
import { formatAuec, formatDateTime, formatPercent, formatQuality, formatQuantity } from "@/lib/format";
import { itemLabel, locationLabel, useItems, useLocations } from "@/lib/lookups";
import { useOrgId } from "@/lib/org";
import { useCan } from "@/lib/role";
import { toastError, toastSuccess } from "@/lib/toast";
import { useDeleteSource, useSources, useVote, type Source } from "./api";
import { ListingDialog } from "./ListingDialog";

/** Market listings with price, lot size, reliability and votes; one vote per member per day. */
export default function MarketPage() {
  const orgId = useOrgId();
  const sources = useSources(orgId);
  const items = useItems(orgId);
  const locations = useLocations(orgId);
  const vote = useVote(orgId);
  const writable = useCan(orgId, "write");
  const remove = useDeleteSource(orgId);
  // null: closed; "new": adding; a listing: editing it.
  const [editing, setEditing] = useState<Source | "new" | null>(null);
  const [deleting, setDeleting] = useState<Source | null>(null);
  const list = sources.data ?? [];
  return (
    <div className="qm-page">
      <PageHeader
        title="Market"
        actions={writable && <Button intent={Intent.PRIMARY} icon="add" text="Add listing" onClick={() => setEditing("new")} />}
      />
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
                        {/* Only the org's own listings can be edited or deleted. */}
                        {s.organization_id === orgId && (
                          <>
                            <Button small minimal icon="edit" aria-label={`Edit listing of ${s.item_name ?? "item"}`} onClick={() => setEditing(s)} />
                            <Button small minimal icon="trash" intent={Intent.DANGER} aria-label={`Delete listing of ${s.item_name ?? "item"}`} onClick={() => setDeleting(s)} />
                          </>
                        )}
                      </>
                    )}
                  </td>
                </tr>
              );
            })}
          </tbody>
        </HTMLTable>
      )}
      {editing !== null && (
        <ListingDialog
          key={editing === "new" ? "new" : editing.id}
          orgId={orgId}
          open
          listing={editing === "new" ? null : editing}
          onClose={() => setEditing(null)}
          items={items.items}
          locations={locations.locations}
        />
      )}
      <ConfirmDialog
        open={deleting !== null}
        title="Delete listing"
        icon="trash"
        confirmText="Delete"
        loading={remove.isPending}
        onCancel={() => setDeleting(null)}
        onConfirm={() =>
          deleting !== null &&
          remove.mutate(deleting.id, {
            onSuccess: () => {
              toastSuccess("Listing deleted");
              setDeleting(null);
            },
            onError: (error) => {
              toastError(error);
              setDeleting(null);
            },
          })
        }
      >
        <p>
          Delete the listing of {deleting?.item_name ?? "this item"} at {deleting?.holder_name ?? deleting?.location_path ?? "this terminal"}? Plans stop
          buying from it.
        </p>
      </ConfirmDialog>
    </div>
  );
}
