import { Button, Card, H4, Intent, NumericInput, Tag } from "@blueprintjs/core";
import { useState } from "react";
import { EmptyState } from "@/components/EmptyState";
import { PageHeader } from "@/components/PageHeader";
import { SkeletonRows } from "@/components/Skeleton";
import { formatDateTime, formatQuality, formatQuantity, toNumber } from "@/lib/format";
import { itemLabel, locationLabel, useItems, useLocations, type Item, type Location } from "@/lib/lookups";
import { useOrgId } from "@/lib/org";
import { useCan } from "@/lib/role";
import { toastError, toastSuccess } from "@/lib/toast";
import { COLUMNS, useBlueprints, useCraftAction, useCrafts, type Craft } from "./api";

function CraftCard(props: {
  craft: Craft;
  blueprint: { name: string; minutes: number } | undefined;
  items: Map<string, Item>;
  locations: Map<string, Location>;
  writable: boolean;
  onAction: (action: "start" | "complete" | "cancel", runs?: number) => void;
  busy: boolean;
}) {
  const c = props.craft;
  const left = c.runs - c.runs_completed;
  const [runs, setRuns] = useState(left);
  const minutes = props.blueprint ? props.blueprint.minutes * left : null;
  const out = props.items.get(c.output_item_id);
  return (
    <Card className="qm-craft" aria-label={`Craft ${props.blueprint?.name ?? c.id.slice(0, 8)}`}>
      <strong>{props.blueprint?.name ?? "Craft"}</strong>
      <div className="qm-muted">
        {c.runs_completed}/{c.runs} runs → {formatQuantity(toNumber(c.output_quantity_per_run) * c.runs, out?.unit)} {out?.name ?? ""}
      </div>
      <div className="qm-muted">at {locationLabel(props.locations, c.location_id)}</div>
      {minutes !== null && c.status !== "completed" && c.status !== "cancelled" && (
        <div className="qm-muted">ETA {minutes} min for the remaining runs</div>
      )}
      {c.plan_id && <Tag minimal>from a plan</Tag>}
      {c.reservations.filter((r) => r.state === "active").length > 0 && (
        <ul className="qm-small">
          {c.reservations
            .filter((r) => r.state === "active")
            .map((r) => (
              <li key={r.id}>
                reserved {formatQuantity(r.quantity, props.items.get(r.item_id)?.unit)} {itemLabel(props.items, r.item_id)} {formatQuality(r.quality)} at{" "}
                {locationLabel(props.locations, r.location_id)}
              </li>
            ))}
        </ul>
      )}
      {c.completed_at && <div className="qm-muted">completed {formatDateTime(c.completed_at)}</div>}
      {props.writable && (
        <div className="qm-row">
          {c.status === "planned" && <Button small intent={Intent.PRIMARY} text="Start" loading={props.busy} onClick={() => props.onAction("start")} />}
          {c.status === "in_progress" && (
            <>
              <NumericInput
                aria-label="Runs to complete"
                min={1}
                max={left}
                value={runs}
                onValueChange={(v) => setRuns(v)}
                style={{ width: 60 }}
                buttonPosition="none"
                small
              />
              <Button small intent={Intent.SUCCESS} text="Complete" loading={props.busy} onClick={() => props.onAction("complete", runs)} />
            </>
          )}
          {(c.status === "planned" || c.status === "in_progress") && (
            <Button small minimal text="Cancel" onClick={() => props.onAction("cancel")} />
          )}
        </div>
      )}
    </Card>
  );
}

export default function CraftsPage() {
  const orgId = useOrgId();
  const crafts = useCrafts(orgId);
  const blueprints = useBlueprints(orgId);
  const items = useItems(orgId);
  const locations = useLocations(orgId);
  const writable = useCan(orgId, "write");
  const action = useCraftAction(orgId);
  const bpById = new Map((blueprints.data ?? []).map((b) => [b.id, b]));
  const list = crafts.data ?? [];
  return (
    <div className="qm-page">
      <PageHeader title="Crafts" />
      {crafts.isPending ? (
        <SkeletonRows />
      ) : list.length === 0 ? (
        <EmptyState icon="build" title="No craft yet" next="Crafts appear here when you apply a plan that crafts something." />
      ) : (
        <div className="qm-board">
          {COLUMNS.map((col) => (
            <section key={col.status} className="qm-board-col" aria-label={col.title}>
              <H4>
                {col.title} <Tag minimal round>{list.filter((c) => c.status === col.status).length}</Tag>
              </H4>
              {list
                .filter((c) => c.status === col.status)
                .map((c) => (
                  <CraftCard
                    key={c.id}
                    craft={c}
                    blueprint={bpById.get(c.blueprint_id)}
                    items={items.byId}
                    locations={locations.byId}
                    writable={writable}
                    busy={action.isPending && action.variables?.id === c.id}
                    onAction={(a, runs) =>
                      action.mutate(
                        { id: c.id, action: a, runs },
                        { onSuccess: () => toastSuccess(`Craft ${a === "complete" ? "completed" : a === "start" ? "started" : "cancelled"}`), onError: toastError },
                      )
                    }
                  />
                ))}
            </section>
          ))}
        </div>
      )}
    </div>
  );
}
