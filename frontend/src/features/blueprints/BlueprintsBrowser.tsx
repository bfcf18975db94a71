import { Button, Card, H4, HTMLSelect } from "@blueprintjs/core";
import { useMemo, useState, type ReactNode } from "react";
import { Field } from "@/components/forms";
import { SkeletonRows } from "@/components/Skeleton";
import { itemLabel, useItems } from "@/lib/lookups";
import { useCan } from "@/lib/role";
import { useBlueprints, type Blueprint } from "./api";
import { BlueprintDialog } from "./BlueprintDialog";
import { bomGraph } from "./bom";
import { BomGraph } from "./BomGraph";

/** Pick a blueprint, see its bill of materials (alternatives, refining steps, quality floors).
 * `actions` adds controls for the blueprint shown (the app composes other features' actions in). */
export function BlueprintsBrowser({ orgId, actions }: { orgId: string; actions?: (blueprint: Blueprint) => ReactNode }) {
  const blueprints = useBlueprints(orgId);
  const items = useItems(orgId);
  const list = useMemo(() => [...(blueprints.data ?? [])].sort((a, b) => a.name.localeCompare(b.name)), [blueprints.data]);
  const [chosen, setChosen] = useState("");
  const writable = useCan(orgId, "write");
  const [editing, setEditing] = useState<Blueprint | "new" | null>(null);
  const root = list.find((b) => b.id === chosen) ?? list.find((b) => b.kind === "craft") ?? list[0];
  const graph = useMemo(
    () => (root ? bomGraph(root, list, (id) => itemLabel(items.byId, id), (id) => items.byId.get(id)?.unit) : null),
    [root, list, items.byId],
  );
  return (
    <Card>
      <div className="qm-row">
        <H4>Blueprints</H4>
        {writable && <Button small icon="add" text="New blueprint" onClick={() => setEditing("new")} />}
        {writable && root && root.organization_id === orgId && <Button small text="Edit blueprint" onClick={() => setEditing(root)} />}
        {root && actions?.(root)}
      </div>
      {blueprints.isPending ? (
        <SkeletonRows />
      ) : (
        <>
          <Field label="Blueprint" id="bp-choose">
            <HTMLSelect id="bp-choose" value={root?.id ?? ""} onChange={(e) => setChosen(e.currentTarget.value)}>
              {list.map((b) => (
                <option key={b.id} value={b.id}>{b.name} ({b.kind})</option>
              ))}
            </HTMLSelect>
          </Field>
          {graph && <BomGraph nodes={graph.nodes} edges={graph.edges} />}
        </>
      )}
      {editing !== null && (
        <BlueprintDialog orgId={orgId} blueprint={editing === "new" ? null : editing} items={items.items} onClose={() => setEditing(null)} onSaved={setChosen} />
      )}
    </Card>
  );
}
