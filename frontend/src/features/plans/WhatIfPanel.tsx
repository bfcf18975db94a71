import { Button, Card, H4, HTMLSelect, HTMLTable, InputGroup, Intent, Tag } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { Field, useFieldErrors } from "@/components/forms";
import { ItemPicker, LocationPicker } from "@/components/pickers";
import { formatAuec } from "@/lib/format";
import { useItems, useLocations } from "@/lib/lookups";
import { useCan } from "@/lib/role";
import { useRunWhatIf, useWhatIf, type VariantIn } from "./api";
import { PlanStatusTag } from "./PlanStatusTag";

type Kind = "scale_price" | "close_location" | "set_policy";

/** Build one what-if variant from the form's fields (the engine's change kinds). */
export function variantOf(kind: Kind, name: string, fields: { item: string; factor: string; location: string; capacity: string }): VariantIn {
  const changes: Record<string, unknown>[] =
    kind === "scale_price"
      ? [{ kind, item: fields.item, factor: Number(fields.factor) }]
      : kind === "close_location"
        ? [{ kind, location: fields.location }]
        : [{ kind, ship_capacity_scu: Number(fields.capacity) }];
  return { name, changes };
}

/** Define variants of a done plan (price shock, closed station, smaller ship), run them, compare. */
export function WhatIfPanel({ orgId, planId }: { orgId: string; planId: string }) {
  const writable = useCan(orgId, "write");
  const whatif = useWhatIf(orgId, planId, true);
  const run = useRunWhatIf(orgId, planId);
  const items = useItems(orgId);
  const locations = useLocations(orgId);
  const [kind, setKind] = useState<Kind>("scale_price");
  const [name, setName] = useState("");
  const [fields, setFields] = useState({ item: "", factor: "1.5", location: "", capacity: "32" });
  const { errors, handle, clear } = useFieldErrors();
  const variants = whatif.data?.variants ?? [];
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    run.mutate([variantOf(kind, name || kind.replace("_", " "), fields)], {
      onError: (error) => handle(error, ["variants"]),
    });
  };
  return (
    <Card aria-label="What-if">
      <H4>What if…</H4>
      {variants.length > 0 && (
        <HTMLTable compact striped className="qm-table" aria-label="What-if comparison">
          <thead>
            <tr><th>Variant</th><th>Status</th><th>Total cost</th><th>Δ vs plan</th><th>Complete</th></tr>
          </thead>
          <tbody>
            <tr>
              <td><strong>This plan</strong></td>
              <td />
              <td>{formatAuec(whatif.data?.base_objective ?? 0)}</td>
              <td />
              <td />
            </tr>
            {variants.map((v) => (
              <tr key={v.id}>
                <td>{v.name}</td>
                <td>
                  <PlanStatusTag status={v.status} />
                  {v.error && <div className="qm-error qm-small">{v.error}</div>}
                </td>
                <td>{v.objective !== null && v.objective !== undefined ? formatAuec(v.objective) : "—"}</td>
                <td>
                  {v.objective_delta !== null && v.objective_delta !== undefined && (
                    <Tag minimal intent={v.objective_delta > 0 ? Intent.DANGER : v.objective_delta < 0 ? Intent.SUCCESS : Intent.NONE}>
                      {v.objective_delta > 0 ? "+" : ""}
                      {formatAuec(v.objective_delta)}
                    </Tag>
                  )}
                </td>
                <td>{v.complete === false ? <Tag intent={Intent.DANGER}>short</Tag> : v.complete ? "yes" : ""}</td>
              </tr>
            ))}
          </tbody>
        </HTMLTable>
      )}
      {writable && (
        <form onSubmit={submit} aria-label="Add what-if variant" className="qm-form-inline">
          <Field label="Change" id="wi-kind">
            <HTMLSelect id="wi-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as Kind)}>
              <option value="scale_price">Price shock</option>
              <option value="close_location">Closed location</option>
              <option value="set_policy">Smaller ship</option>
            </HTMLSelect>
          </Field>
          {kind === "scale_price" && (
            <>
              <Field label="Item" id="wi-item">
                <ItemPicker id="wi-item" items={items.items} value={fields.item} onChange={(item) => setFields((f) => ({ ...f, item }))} />
              </Field>
              <Field label="Price factor" id="wi-factor">
                <InputGroup id="wi-factor" value={fields.factor} onValueChange={(factor) => setFields((f) => ({ ...f, factor }))} />
              </Field>
            </>
          )}
          {kind === "close_location" && (
            <Field label="Location" id="wi-location">
              <LocationPicker id="wi-location" locations={locations.locations} value={fields.location} onChange={(location) => setFields((f) => ({ ...f, location }))} />
            </Field>
          )}
          {kind === "set_policy" && (
            <Field label="Ship capacity (SCU)" id="wi-capacity">
              <InputGroup id="wi-capacity" value={fields.capacity} onValueChange={(capacity) => setFields((f) => ({ ...f, capacity }))} />
            </Field>
          )}
          <Field label="Variant name" id="wi-name" error={errors.variants}>
            <InputGroup id="wi-name" value={name} onValueChange={setName} />
          </Field>
          <Button type="submit" icon="play" text="Run variant" loading={run.isPending} />
        </form>
      )}
    </Card>
  );
}
