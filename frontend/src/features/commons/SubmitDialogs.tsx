import { Button, Checkbox, Dialog, DialogBody, DialogFooter, HTMLSelect, InputGroup, Intent, TextArea } from "@blueprintjs/core";
import { useMemo, useState, type FormEvent } from "react";
import { Field, useFieldErrors } from "@/components/forms";
import { useBlueprintList, useLocations } from "@/lib/lookups";
import { toastSuccess } from "@/lib/toast";
import { useResubmit, useSubmit, type Entity, type Submission } from "./api";
import {
  ENTITY_FIELDS,
  blueprintSubmissionData,
  entityFormValues,
  entitySubmissionData,
  submissionTitle,
  type FormKind,
} from "./data";

/** Where moderators can check a submission, and (new submissions only: `anonymous` given)
 * whether it is sent without the submitter's name. */
function SourceFields({ id, help, error, sourceRef, onSourceRef, anonymous, onAnonymous }: {
  id: string;
  help: string;
  error?: string;
  sourceRef: string;
  onSourceRef: (value: string) => void;
  anonymous?: boolean;
  onAnonymous: (value: boolean) => void;
}) {
  return (
    <>
      <Field label="Source (URL, patch notes…)" id={id} error={error} help={help}>
        <InputGroup id={id} value={sourceRef} onValueChange={onSourceRef} />
      </Field>
      {anonymous !== undefined && <Checkbox checked={anonymous} label="Submit anonymously" onChange={(e) => onAnonymous(e.currentTarget.checked)} />}
    </>
  );
}

/** Cancel, and send for review (or send again, for a submission a moderator asked to change). */
function SendFooter({ resubmit, busy, disabled, onClose }: { resubmit: boolean; busy: boolean; disabled: boolean; onClose: () => void }) {
  return (
    <DialogFooter actions={<><Button text="Cancel" onClick={onClose} /><Button type="submit" intent={Intent.PRIMARY} text={resubmit ? "Resubmit" : "Submit for review"} loading={busy} disabled={disabled} /></>} />
  );
}

const FIELD_LABELS: Record<string, string> = {
  name: "Name", unit: "Unit", category: "Category", volume_scu: "Volume per unit (SCU)", description: "Description",
  aliases: "Aliases (comma-separated)", kind: "Kind (station, city, outpost…)", parent_id: "Inside",
};

/** Submit a new item, location or tag, (with `entity`) a change to a published one, or (with
 * `editing`) the submitter's edit of a submission a moderator asked to change. */
export function SubmitEntityDialog({ orgId, kind: initialKind, entity, editing, prefill, onClose }: {
  orgId: string;
  kind: FormKind;
  entity?: Entity;
  editing?: Submission;
  /** Field values to start from when proposing a new entity (e.g. one of the org's own items). */
  prefill?: Record<string, unknown>;
  onClose: () => void;
}) {
  const [kind, setKind] = useState<FormKind>(initialKind);
  const [values, setValues] = useState<Record<string, string>>(() => {
    const base = editing?.data ?? entity?.data ?? prefill;
    return base ? entityFormValues(initialKind, base) : {};
  });
  const [sourceRef, setSourceRef] = useState(editing?.source_ref ?? "");
  const [anonymous, setAnonymous] = useState(false);
  const places = useLocations(orgId);
  const universe = places.locations.filter((l) => l.owner === "universe");
  const submit = useSubmit();
  const resubmit = useResubmit();
  const { errors, handle, clear } = useFieldErrors();
  const set = (field: string, value: string) => setValues((v) => ({ ...v, [field]: value }));
  const fields = ["source_ref", "kind", ...ENTITY_FIELDS[kind].map((f) => `data.${f}`)];
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    if (editing) {
      resubmit.mutate(
        { id: editing.id, data: entitySubmissionData(kind, values), source_ref: sourceRef },
        { onSuccess: () => { toastSuccess("Resubmitted for review"); onClose(); }, onError: (error) => handle(error, fields) },
      );
      return;
    }
    submit.mutate(
      { kind, data: entitySubmissionData(kind, values), source_ref: sourceRef, anonymous, ...(entity ? { entity_id: entity.id } : {}) },
      {
        onSuccess: (sub) => {
          const dup = sub.duplicates.length > 0 ? ` (possible duplicate of ${sub.duplicates.map((d) => String(d.name)).join(", ")})` : "";
          toastSuccess(`Submitted for review${dup}`);
          onClose();
        },
        onError: (error) => handle(error, fields),
      },
    );
  };
  const input = (field: string) => {
    const id = `sub-${field}`;
    const value = values[field] ?? "";
    if (field === "unit")
      return (
        <HTMLSelect id={id} value={value || "scu"} disabled={entity !== undefined || editing?.entity_id != null} onChange={(e) => set(field, e.currentTarget.value)}>
          <option value="scu">SCU</option>
          <option value="piece">pieces</option>
        </HTMLSelect>
      );
    if (field === "parent_id")
      return (
        <HTMLSelect id={id} value={value} onChange={(e) => set(field, e.currentTarget.value)}>
          <option value="">(a top-level system)</option>
          {universe.map((l) => <option key={l.id} value={l.id}>{l.path ?? l.name}</option>)}
        </HTMLSelect>
      );
    if (field === "description") return <TextArea id={id} fill value={value} onChange={(e) => set(field, e.currentTarget.value)} />;
    return <InputGroup id={id} value={value} onValueChange={(v) => set(field, v)} />;
  };
  const title = editing ? `Edit ${submissionTitle(editing.data, editing.kind)}` : entity ? `Propose a change to ${entity.name}` : "Submit to the commons";
  return (
    <Dialog isOpen onClose={onClose} title={title} icon="upload" style={{ width: 560 }}>
      <form onSubmit={onSubmit} aria-label={title}>
        <DialogBody>
          {!entity && !editing && (
            <Field label="What" id="sub-kind" error={errors.kind}>
              <HTMLSelect id="sub-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as FormKind)}>
                <option value="item">item</option>
                <option value="location">location</option>
                <option value="tag">tag</option>
              </HTMLSelect>
            </Field>
          )}
          {ENTITY_FIELDS[kind].map((field) => (
            <Field key={field} label={FIELD_LABELS[field] ?? field} id={`sub-${field}`} error={errors[`data.${field}`]}
              help={field === "unit" && entity ? "A published item keeps its unit: its stock is counted in it" : undefined}>
              {input(field)}
            </Field>
          ))}
          <SourceFields id="sub-entity-source" help="Where moderators can check it" error={errors.source_ref}
            sourceRef={sourceRef} onSourceRef={setSourceRef} anonymous={editing ? undefined : anonymous} onAnonymous={setAnonymous} />
        </DialogBody>
        <SendFooter resubmit={editing !== undefined} busy={submit.isPending || resubmit.isPending}
          disabled={(values.name ?? "").trim() === ""} onClose={onClose} />
      </form>
    </Dialog>
  );
}

/** Submit one of the org's own blueprints for review (`initial`: the one to start with), or
 * (with `editing`) resubmit a blueprint submission a moderator asked to change: the member edits
 * the org's blueprint in the catalogue, and its current recipe is what is sent again. */
export function SubmitBlueprintDialog({ orgId, open, initial, editing, onClose }: {
  orgId: string;
  open: boolean;
  initial?: string;
  editing?: Submission;
  onClose: () => void;
}) {
  const blueprints = useBlueprintList(orgId);
  const own = useMemo(() => (blueprints.data ?? []).filter((b) => b.organization_id === orgId), [blueprints.data, orgId]);
  const [picked, setChosen] = useState(initial ?? "");
  // A resubmission starts on the org blueprint of the same name, once the list has loaded.
  const chosen = picked || (editing ? (own.find((b) => b.name === editing.data.name)?.id ?? "") : "");
  const [sourceRef, setSourceRef] = useState(editing?.source_ref ?? "");
  const [anonymous, setAnonymous] = useState(false);
  const submit = useSubmit();
  const resubmit = useResubmit();
  const { errors, handle, clear } = useFieldErrors();
  const bp = own.find((b) => b.id === chosen);
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    if (!bp) return;
    const fields = ["source_ref", "data", "kind"];
    if (editing) {
      resubmit.mutate(
        { id: editing.id, data: blueprintSubmissionData(bp), source_ref: sourceRef },
        { onSuccess: () => { toastSuccess("Resubmitted for review"); onClose(); }, onError: (error) => handle(error, fields) },
      );
      return;
    }
    submit.mutate(
      // Sent for the org whose recipe it is: its webhooks and live feed hear the decision.
      { kind: "blueprint", data: blueprintSubmissionData(bp), source_ref: sourceRef, anonymous, organization_id: orgId },
      {
        onSuccess: (sub) => {
          const dup = sub.duplicates.length > 0 ? ` (possible duplicate of ${sub.duplicates.map((d) => String(d.name)).join(", ")})` : "";
          toastSuccess(`Submitted for review${dup}`);
          onClose();
        },
        onError: (error) => handle(error, fields),
      },
    );
  };
  const title = editing ? `Resubmit ${submissionTitle(editing.data, editing.kind)}` : "Submit a blueprint to the commons";
  return (
    <Dialog isOpen={open} onClose={onClose} title={title} icon="upload" style={{ width: 560 }}>
      <form onSubmit={onSubmit} aria-label={editing ? "Resubmit a blueprint" : "Submit a blueprint"}>
        <DialogBody>
          <Field label="Org blueprint" id="sub-bp" error={errors.data}
            help={editing ? "Edit it in the Catalogue first: its recipe as it is now is sent again" : undefined}>
            <HTMLSelect id="sub-bp" value={chosen} onChange={(e) => setChosen(e.currentTarget.value)}>
              <option value="">Choose a blueprint…</option>
              {own.map((b) => <option key={b.id} value={b.id}>{b.name}</option>)}
            </HTMLSelect>
          </Field>
          <SourceFields id="sub-source" help="Where moderators can check the recipe" error={errors.source_ref}
            sourceRef={sourceRef} onSourceRef={setSourceRef} anonymous={editing ? undefined : anonymous} onAnonymous={setAnonymous} />
        </DialogBody>
        <SendFooter resubmit={editing !== undefined} busy={submit.isPending || resubmit.isPending} disabled={!bp} onClose={onClose} />
      </form>
    </Dialog>
  );
}
