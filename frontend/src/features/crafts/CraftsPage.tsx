import { Button, Card, H4, HTMLSelect, HTMLTable, Intent, NumericInput, Switch, Tag } from "@blueprintjs/core";
import { useState } from "react";
import { EmptyState } from "@/components/EmptyState";
import { PageHeader } from "@/components/PageHeader";
import { SkeletonRows } from "@/components/Skeleton";
import { formatDateTime, formatQuality, formatQuantity, formatRuns, toNumber } from "@/lib/format";
import { itemLabel, locationLabel, useItems, useLocations, type Item, type Location } from "@/lib/lookups";
import { useMyId } from "@/lib/me";
import { useOrgId } from "@/lib/org";
import { useCan } from "@/lib/role";
import { toastError, toastSuccess } from "@/lib/toast";
import { Link } from "react-router";
import { COLUMNS, useBlueprints, useCraftAction, useCrafters, useCrafts, useRefineryJobs, useUpdateCraft, type Craft } from "./api";
import { NewCraftDialog } from "./NewCraftDialog";

type Crafter = { user_id: string; username: string; display_name?: string | null };

function CraftCard(props: {
  craft: Craft;
  blueprint: { name: string; minutes: number } | undefined;
  items: Map<string, Item>;
  locations: Map<string, Location>;
  writable: boolean;
  onAction: (action: "start" | "complete" | "cancel", runs?: number) => void;
  busy: boolean;
  crafters: Crafter[];
  onAssign: (crafterId: string | null) => void;
}) {
  const c = props.craft;
  const left = c.runs - c.runs_completed;
  const [runs, setRuns] = useState(left);
  // The API's minutes cover all runs; the rest takes its share.
  const minutes = c.runs > 0 ? Math.round((toNumber(c.minutes) * left * 10) / c.runs) / 10 : null;
  const name = c.blueprint_name ?? props.blueprint?.name;
  const out = props.items.get(c.output_item_id);
  return (
    <Card className="qm-craft" aria-label={`Craft ${name ?? c.id.slice(0, 8)}`}>
      <strong>{name ?? "Craft"}</strong>
      <div className="qm-muted">
        {c.runs_completed}/{c.runs} runs → {formatQuantity(toNumber(c.output_quantity_per_run) * c.runs, out?.unit)} {out?.name ?? ""}
      </div>
      <div className="qm-muted">at {locationLabel(props.locations, c.location_id)}</div>
      {c.status === "in_progress" && c.eta ? (
        <div className="qm-muted">ETA {formatDateTime(c.eta)}</div>
      ) : (
        minutes !== null && c.status === "planned" && <div className="qm-muted">takes {minutes} min once started</div>
      )}
      {props.writable && (c.status === "planned" || c.status === "in_progress") ? (
        <HTMLSelect
          minimal
          aria-label={`Crafter of ${name ?? "this craft"}`}
          value={c.crafter_id ?? ""}
          onChange={(e) => props.onAssign(e.currentTarget.value || null)}
        >
          <option value="">No crafter</option>
          {props.crafters.map((m) => (
            <option key={m.user_id} value={m.user_id}>
              {m.display_name ?? m.username}
            </option>
          ))}
        </HTMLSelect>
      ) : (
        <div className="qm-muted">crafter: {c.crafter_name ?? "nobody"}</div>
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

/** Refinery jobs of applied plans: fractional runs, ore reserved for the plan, not crafts. */
function RefineryJobs({ orgId, names }: { orgId: string; names: Map<string, string> }) {
  const jobs = useRefineryJobs(orgId);
  const list = jobs.data ?? [];
  if (list.length === 0) return null;
  return (
    <Card>
      <H4>Refinery jobs <Tag minimal round>{list.length}</Tag></H4>
      <p className="qm-muted">A refinery takes any quantity of ore: these run at the refinery with the ore the plan reserved.</p>
      <HTMLTable compact striped className="qm-table" aria-label="Refinery jobs">
        <thead>
          <tr><th>Refining</th><th>Runs</th><th>Plan</th><th>Applied</th></tr>
        </thead>
        <tbody>
          {list.map((j) => (
            <tr key={`${j.planId}-${j.blueprintId}`}>
              <td>{names.get(j.blueprintId) ?? j.blueprintId.slice(0, 8)}</td>
              <td>{formatRuns(j.runs)}</td>
              <td><Link to={`/orgs/${orgId}/plans/${j.planId}`}>{j.planName}</Link></td>
              <td>{formatDateTime(j.appliedAt)}</td>
            </tr>
          ))}
        </tbody>
      </HTMLTable>
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
  const update = useUpdateCraft(orgId);
  const crafters = useCrafters(orgId);
  const myId = useMyId();
  const [mine, setMine] = useState(false);
  const [creating, setCreating] = useState(false);
  const bpById = new Map((blueprints.data ?? []).map((b) => [b.id, b]));
  const list = (crafts.data ?? []).filter((c) => !mine || c.crafter_id === myId);
  return (
    <div className="qm-page">
      <PageHeader
        title="Crafts"
        actions={
          <>
            <Switch label="My queue" checked={mine} onChange={(e) => setMine(e.currentTarget.checked)} className="qm-inline-switch" />
            {writable && <Button intent={Intent.PRIMARY} icon="add" text="Plan a craft" onClick={() => setCreating(true)} />}
          </>
        }
      />
      {crafts.isPending ? (
        <SkeletonRows />
      ) : list.length === 0 ? (
        <EmptyState
          icon="build"
          title={mine ? "Nothing in your queue" : "No craft yet"}
          next={mine ? "Crafts assigned to you show here." : "Crafts appear here when you apply a plan that crafts something, or plan one by hand."}
        />
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
                    crafters={crafters.data ?? []}
                    onAssign={(crafterId) =>
                      update.mutate(
                        { id: c.id, body: { crafter_id: crafterId } },
                        { onSuccess: () => toastSuccess(crafterId ? "Crafter assigned" : "Crafter unassigned"), onError: toastError },
                      )
                    }
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
      {!mine && <RefineryJobs orgId={orgId} names={new Map((blueprints.data ?? []).map((b) => [b.id, b.name]))} />}
      <NewCraftDialog
        orgId={orgId}
        open={creating}
        onClose={() => setCreating(false)}
        blueprints={blueprints.data ?? []}
        locations={locations.locations}
        members={crafters.data ?? []}
      />
    </div>
  );
}
