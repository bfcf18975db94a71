import { Button, Dialog, DialogBody, DialogFooter, HTMLSelect, InputGroup, Intent } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { Field, useFieldErrors } from "@/components/forms";
import { LocationPicker } from "@/components/pickers";
import type { Location } from "@/lib/lookups";
import { toastSuccess } from "@/lib/toast";
import { useCreateCraft } from "./api";

export interface CraftBlueprint {
  id: string;
  name: string;
  kind: string;
  minutes: number;
}

/** Plan a craft by hand: blueprint, runs, where, and who crafts it. */
export function NewCraftDialog(props: {
  orgId: string;
  open: boolean;
  onClose: () => void;
  blueprints: CraftBlueprint[];
  locations: Location[];
  members: { user_id: string; username: string; display_name?: string | null }[];
}) {
  const [blueprintId, setBlueprintId] = useState("");
  const [runs, setRuns] = useState("1");
  const [locationId, setLocationId] = useState("");
  const [crafterId, setCrafterId] = useState("");
  const create = useCreateCraft(props.orgId);
  const { errors, handle, clear } = useFieldErrors();
  // Refining is continuous (fractional runs, planned by the engine): only crafts here.
  const crafts = props.blueprints.filter((b) => b.kind === "craft");
  const close = () => {
    clear();
    props.onClose();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    create.mutate(
      // A non-integer (or text: NaN goes as null) is the API's 422 on the field, never rounded here.
      { blueprint_id: blueprintId, runs: Number(runs), location_id: locationId, crafter_id: crafterId || null },
      {
        onSuccess: () => {
          toastSuccess("Craft planned");
          setRuns("1");
          props.onClose();
        },
        onError: (error) => handle(error, ["blueprint_id", "runs", "location_id", "crafter_id", "priority"]),
      },
    );
  };
  return (
    <Dialog isOpen={props.open} onClose={close} title="Plan a craft" icon="build">
      <form onSubmit={submit} aria-label="Plan a craft">
        <DialogBody>
          <Field label="Blueprint" id="craft-blueprint" error={errors.blueprint_id}>
            <HTMLSelect id="craft-blueprint" value={blueprintId} onChange={(e) => setBlueprintId(e.currentTarget.value)} fill>
              <option value="">Choose a blueprint…</option>
              {crafts.map((b) => (
                <option key={b.id} value={b.id}>
                  {b.name} ({b.minutes} min per run)
                </option>
              ))}
            </HTMLSelect>
          </Field>
          <Field label="Runs" id="craft-runs" error={errors.runs}>
            <InputGroup id="craft-runs" inputMode="numeric" value={runs} onValueChange={setRuns} />
          </Field>
          <Field label="Where" id="craft-location" error={errors.location_id}>
            <LocationPicker id="craft-location" locations={props.locations} value={locationId} onChange={setLocationId} />
          </Field>
          <Field label="Crafter" id="craft-crafter" error={errors.crafter_id}>
            <HTMLSelect id="craft-crafter" value={crafterId} onChange={(e) => setCrafterId(e.currentTarget.value)} fill>
              <option value="">Nobody yet</option>
              {props.members.map((m) => (
                <option key={m.user_id} value={m.user_id}>
                  {m.display_name ?? m.username}
                </option>
              ))}
            </HTMLSelect>
          </Field>
        </DialogBody>
        <DialogFooter actions={<><Button text="Cancel" onClick={close} /><Button type="submit" intent={Intent.PRIMARY} text="Plan craft" loading={create.isPending} /></>} />
      </form>
    </Dialog>
  );
}
