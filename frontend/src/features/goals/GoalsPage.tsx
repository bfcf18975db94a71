import { Button, Card, Dialog, DialogBody, DialogFooter, H4, InputGroup, Intent, Tag } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { Link } from "react-router";
import { EmptyState } from "@/components/EmptyState";
import { Field, useFieldErrors } from "@/components/forms";
import { PageHeader } from "@/components/PageHeader";
import { ItemPicker } from "@/components/pickers";
import { SkeletonRows } from "@/components/Skeleton";
import { formatDateTime, formatPercent, formatQuantity } from "@/lib/format";
import { itemLabel, useItems, type Item } from "@/lib/lookups";
import { useOrgId } from "@/lib/org";
import { useCan } from "@/lib/role";
import { toastSuccess } from "@/lib/toast";
import { targetShares, useCancelGoal, useGoals, useSaveGoal, type Goal, type TargetProgress } from "./api";

/** Free stock and crafts under way, shown apart, against the target quantity. */
export function TargetBar({ target, label, unit }: { target: TargetProgress; label: string; unit?: string | undefined }) {
  const { stock, crafts } = targetShares(target);
  return (
    <div className="qm-target">
      <div className="qm-target-label">
        <span>{label}</span>
        <span className="qm-muted">
          {formatQuantity(target.have, unit)} / {formatQuantity(target.quantity, unit)}
          {target.in_crafts > 0 && ` (${formatQuantity(target.in_crafts, unit)} in crafts)`}
        </span>
      </div>
      <div
        className="qm-stackbar"
        role="progressbar"
        aria-label={`${label} progress`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={Math.round((stock + crafts) * 100)}
      >
        <div className="qm-stackbar-stock" style={{ width: `${stock * 100}%` }} />
        <div className="qm-stackbar-crafts" style={{ width: `${crafts * 100}%` }} />
      </div>
    </div>
  );
}

interface TargetDraft {
  item_id: string;
  quantity: string;
  min_quality: string;
}

function GoalDialog(props: { orgId: string; goal: Goal | null; open: boolean; onClose: () => void; items: Item[] }) {
  const g = props.goal;
  const [name, setName] = useState(g?.name ?? "");
  const [due, setDue] = useState(g?.due_at ? g.due_at.slice(0, 10) : "");
  const [targets, setTargets] = useState<TargetDraft[]>(
    g ? g.targets.map((t) => ({ item_id: t.item_id, quantity: String(t.quantity), min_quality: String(t.min_quality) })) : [{ item_id: "", quantity: "", min_quality: "0" }],
  );
  const save = useSaveGoal(props.orgId);
  const { errors, handle, clear } = useFieldErrors();
  const setTarget = (i: number, patch: Partial<TargetDraft>) => setTargets((ts) => ts.map((t, j) => (j === i ? { ...t, ...patch } : t)));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    const body = {
      name,
      due_at: due ? new Date(`${due}T00:00:00Z`).toISOString() : null,
      targets: targets.map((t) => ({ item_id: t.item_id, quantity: t.quantity as unknown as number, min_quality: Number(t.min_quality || 0) })),
    };
    save.mutate(
      g ? { id: g.id, body } : { body },
      {
        onSuccess: () => {
          toastSuccess(g ? "Goal saved" : "Goal created");
          props.onClose();
        },
        onError: (error) => handle(error, ["name", "due_at", ...targets.flatMap((_, i) => [`targets.${i}.item_id`, `targets.${i}.quantity`, `targets.${i}.min_quality`]), "targets"]),
      },
    );
  };
  return (
    <Dialog isOpen={props.open} onClose={props.onClose} title={g ? "Edit goal" : "New goal"} icon="flag" style={{ width: 640 }}>
      <form onSubmit={submit} aria-label={g ? "Edit goal" : "New goal"}>
        <DialogBody>
          <Field label="Name" id="goal-name" error={errors.name}>
            <InputGroup id="goal-name" value={name} onValueChange={setName} />
          </Field>
          <Field label="Due date (optional)" id="goal-due" error={errors.due_at}>
            <InputGroup id="goal-due" type="date" value={due} onValueChange={setDue} />
          </Field>
          {errors.targets && <p className="qm-error">{errors.targets}</p>}
          {targets.map((t, i) => (
            <fieldset key={i} className="qm-fieldset qm-target-row">
              <legend>Target {i + 1}</legend>
              <Field label="Item" id={`goal-t${i}-item`} error={errors[`targets.${i}.item_id`]}>
                <ItemPicker id={`goal-t${i}-item`} items={props.items} value={t.item_id} onChange={(id) => setTarget(i, { item_id: id })} />
              </Field>
              <Field label="Quantity" id={`goal-t${i}-qty`} error={errors[`targets.${i}.quantity`]}>
                <InputGroup id={`goal-t${i}-qty`} inputMode="decimal" value={t.quantity} onValueChange={(v) => setTarget(i, { quantity: v })} />
              </Field>
              <Field label="Min quality" id={`goal-t${i}-q`} error={errors[`targets.${i}.min_quality`]}>
                <InputGroup id={`goal-t${i}-q`} inputMode="numeric" value={t.min_quality} onValueChange={(v) => setTarget(i, { min_quality: v })} />
              </Field>
              {targets.length > 1 && (
                <Button minimal icon="trash" aria-label={`Remove target ${i + 1}`} onClick={() => setTargets((ts) => ts.filter((_, j) => j !== i))} />
              )}
            </fieldset>
          ))}
          <Button icon="add" text="Add target" onClick={() => setTargets((ts) => [...ts, { item_id: "", quantity: "", min_quality: "0" }])} />
        </DialogBody>
        <DialogFooter actions={<><Button text="Cancel" onClick={props.onClose} /><Button type="submit" intent={Intent.PRIMARY} text="Save goal" loading={save.isPending} /></>} />
      </form>
    </Dialog>
  );
}

export default function GoalsPage() {
  const orgId = useOrgId();
  const goals = useGoals(orgId);
  const items = useItems(orgId);
  const writable = useCan(orgId, "write");
  const cancel = useCancelGoal(orgId);
  const [editing, setEditing] = useState<Goal | null | "new">(null);
  const list = goals.data ?? [];
  return (
    <div className="qm-page">
      <PageHeader title="Goals" actions={writable && <Button intent={Intent.PRIMARY} icon="add" text="New goal" onClick={() => setEditing("new")} />} />
      {goals.isPending ? (
        <SkeletonRows />
      ) : list.length === 0 ? (
        <EmptyState icon="flag" title="No goal yet" next="Set a goal (what the org needs, how much, by when); then request a plan for it." />
      ) : (
        <div className="qm-cards">
          {list.map((g) => (
            <Card key={g.id} className="qm-goal" aria-label={`Goal ${g.name}`}>
              <div className="qm-row">
                <H4>{g.name}</H4>
                <Tag intent={g.status === "completed" ? Intent.SUCCESS : g.status === "cancelled" ? Intent.NONE : Intent.PRIMARY}>{g.status}</Tag>
                <Tag minimal>{formatPercent(g.progress)}</Tag>
                {g.due_at && <span className="qm-muted">due {formatDateTime(g.due_at)}</span>}
              </div>
              {g.targets.map((t) => (
                <TargetBar key={`${t.item_id}-${t.min_quality}`} target={t} label={itemLabel(items.byId, t.item_id)} unit={items.byId.get(t.item_id)?.unit} />
              ))}
              {writable && g.status === "active" && (
                <div className="qm-row">
                  <Link to={`/orgs/${orgId}/plans?goal=${g.id}`}>Plan this goal</Link>
                  <Button small text="Edit" onClick={() => setEditing(g)} />
                  <Button small minimal text="Cancel goal" onClick={() => cancel.mutate(g.id)} />
                </div>
              )}
            </Card>
          ))}
        </div>
      )}
      {editing !== null && (
        <GoalDialog
          key={editing === "new" ? "new" : editing.id}
          orgId={orgId}
          goal={editing === "new" ? null : editing}
          open
          onClose={() => setEditing(null)}
          items={items.items}
        />
      )}
    </div>
  );
}
