import { Button, Dialog, DialogBody, DialogFooter, HTMLSelect, InputGroup, Intent } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { Field, useFieldErrors } from "@/components/forms";
import { ItemPicker } from "@/components/pickers";
import type { BlueprintOut, Item } from "@/lib/lookups";
import { toastSuccess } from "@/lib/toast";
import { useSaveBlueprint } from "./api";
import { bodyOf, draftOf, emptyIngredient, fieldsOf, type BlueprintDraft, type IngredientDraft } from "./form";

/** Create or edit one of the org's blueprints; 422s land on the field (or ingredient row) they name. */
export function BlueprintDialog(props: { orgId: string; blueprint: BlueprintOut | null; items: Item[]; onClose: () => void; onSaved?: (id: string) => void }) {
  const [draft, setDraft] = useState<BlueprintDraft>(() => draftOf(props.blueprint));
  const save = useSaveBlueprint(props.orgId);
  const { errors, handle, clear } = useFieldErrors();
  const set = (patch: Partial<BlueprintDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const setRow = (i: number, patch: Partial<IngredientDraft>) =>
    setDraft((d) => ({ ...d, ingredients: d.ingredients.map((r, j) => (j === i ? { ...r, ...patch } : r)) }));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    save.mutate(
      { id: props.blueprint?.id, body: bodyOf(draft) },
      {
        onSuccess: (bp) => {
          toastSuccess(props.blueprint ? "Blueprint saved" : "Blueprint created");
          props.onSaved?.(bp.id);
          props.onClose();
        },
        onError: (error) => handle(error, fieldsOf(draft)),
      },
    );
  };
  const editing = props.blueprint !== null;
  return (
    <Dialog isOpen onClose={props.onClose} title={editing ? "Edit blueprint" : "New blueprint"} icon="build" style={{ width: 720 }}>
      <form onSubmit={submit} aria-label={editing ? "Edit blueprint" : "New blueprint"}>
        <DialogBody>
          <Field label="Name" id="bp-name" error={errors.name}>
            <InputGroup id="bp-name" value={draft.name} onValueChange={(v) => set({ name: v })} />
          </Field>
          <div className="qm-form-inline">
            <Field label="Kind" id="bp-kind" error={errors.kind}>
              <HTMLSelect id="bp-kind" value={draft.kind} onChange={(e) => set({ kind: e.currentTarget.value as BlueprintDraft["kind"] })}>
                <option value="craft">craft</option>
                <option value="refine">refine</option>
              </HTMLSelect>
            </Field>
            <Field label="Output item" id="bp-output" error={errors.output_item_id}>
              <ItemPicker id="bp-output" items={props.items} value={draft.output_item_id} onChange={(id) => set({ output_item_id: id })} />
            </Field>
            <Field label="Output per run" id="bp-output-qty" error={errors.output_quantity}>
              <InputGroup id="bp-output-qty" inputMode="decimal" value={draft.output_quantity} onValueChange={(v) => set({ output_quantity: v })} />
            </Field>
            <Field label="Minutes per run" id="bp-minutes" error={errors.minutes}>
              <InputGroup id="bp-minutes" inputMode="decimal" value={draft.minutes} onValueChange={(v) => set({ minutes: v })} />
            </Field>
            <Field label="Cost per run (aUEC)" id="bp-cost" error={errors.run_cost}>
              <InputGroup id="bp-cost" inputMode="decimal" value={draft.run_cost} onValueChange={(v) => set({ run_cost: v })} />
            </Field>
          </div>
          {errors.ingredients && <p className="qm-error">{errors.ingredients}</p>}
          {draft.ingredients.map((r, i) => (
            <fieldset key={i} className="qm-fieldset qm-form-inline">
              <legend>Ingredient {i + 1}</legend>
              <Field label="Item" id={`bp-ing${i}-item`} error={errors[`ingredients.${i}.item_id`]}>
                <ItemPicker id={`bp-ing${i}-item`} items={props.items} value={r.item_id} onChange={(id) => setRow(i, { item_id: id })} />
              </Field>
              <Field label="Quantity per run" id={`bp-ing${i}-qty`} error={errors[`ingredients.${i}.quantity`]}>
                <InputGroup id={`bp-ing${i}-qty`} inputMode="decimal" value={r.quantity} onValueChange={(v) => setRow(i, { quantity: v })} />
              </Field>
              <Field label="Quality floor (0–1000)" id={`bp-ing${i}-q`} error={errors[`ingredients.${i}.min_quality`]}>
                <InputGroup id={`bp-ing${i}-q`} inputMode="numeric" value={r.min_quality} onValueChange={(v) => setRow(i, { min_quality: v })} />
              </Field>
              <Button minimal icon="trash" aria-label={`Remove ingredient ${i + 1}`} onClick={() => set({ ingredients: draft.ingredients.filter((_, j) => j !== i) })} />
            </fieldset>
          ))}
          <Button icon="add" text="Add ingredient" onClick={() => set({ ingredients: [...draft.ingredients, emptyIngredient()] })} />
        </DialogBody>
        <DialogFooter actions={<><Button text="Cancel" onClick={props.onClose} /><Button type="submit" intent={Intent.PRIMARY} text="Save blueprint" loading={save.isPending} /></>} />
      </form>
    </Dialog>
  );
}
