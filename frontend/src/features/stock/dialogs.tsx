import { Button, Dialog, DialogBody, DialogFooter, HTMLSelect, InputGroup, Intent } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { Field, useFieldErrors } from "@/components/forms";
import { ItemPicker, LocationPicker } from "@/components/pickers";
import { formatQuantity } from "@/lib/format";
import type { Item, Location } from "@/lib/lookups";
import { toastSuccess } from "@/lib/toast";
import { useAdjust, useTransfer, type StockRow } from "./api";

/** Add (positive) or remove (negative) units at a location. */
export function AdjustDialog(props: { orgId: string; open: boolean; onClose: () => void; items: Item[]; locations: Location[] }) {
  const [itemId, setItemId] = useState("");
  const [locationId, setLocationId] = useState("");
  const [delta, setDelta] = useState("");
  const [quality, setQuality] = useState("500");
  const [owner, setOwner] = useState<"org" | "me">("org");
  const [note, setNote] = useState("");
  const adjust = useAdjust(props.orgId);
  const { errors, handle, clear } = useFieldErrors();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    adjust.mutate(
      { item_id: itemId, location_id: locationId, delta, quality: Number(quality), owner, note: note || null },
      {
        onSuccess: () => {
          toastSuccess("Stock updated");
          setDelta("");
          props.onClose();
        },
        onError: (error) => handle(error, ["item_id", "location_id", "delta", "quality", "owner", "note"]),
      },
    );
  };
  return (
    <Dialog isOpen={props.open} onClose={props.onClose} title="Adjust stock" icon="add">
      <form onSubmit={submit} aria-label="Adjust stock">
        <DialogBody>
          <Field label="Item" id="adj-item" error={errors.item_id}>
            <ItemPicker id="adj-item" items={props.items} value={itemId} onChange={setItemId} />
          </Field>
          <Field label="Location" id="adj-location" error={errors.location_id}>
            <LocationPicker id="adj-location" locations={props.locations} value={locationId} onChange={setLocationId} />
          </Field>
          <Field label="Change (+ adds, − removes)" id="adj-delta" error={errors.delta}>
            <InputGroup id="adj-delta" inputMode="decimal" value={delta} onValueChange={setDelta} placeholder="e.g. 12 or -0.5" />
          </Field>
          <Field label="Quality (0–1000)" id="adj-quality" error={errors.quality}>
            <InputGroup id="adj-quality" inputMode="numeric" value={quality} onValueChange={setQuality} />
          </Field>
          <Field label="Owner" id="adj-owner" error={errors.owner}>
            <HTMLSelect id="adj-owner" value={owner} onChange={(e) => setOwner(e.currentTarget.value as "org" | "me")}>
              <option value="org">The organisation</option>
              <option value="me">Me (personal)</option>
            </HTMLSelect>
          </Field>
          <Field label="Note (optional)" id="adj-note" error={errors.note}>
            <InputGroup id="adj-note" value={note} onValueChange={setNote} />
          </Field>
        </DialogBody>
        <DialogFooter actions={<><Button text="Cancel" onClick={props.onClose} /><Button type="submit" intent={Intent.PRIMARY} text="Save" loading={adjust.isPending} /></>} />
      </form>
    </Dialog>
  );
}

/** Move units of one stock row to another location. */
export function TransferDialog(props: {
  orgId: string;
  row: StockRow | null;
  onClose: () => void;
  item: Item | undefined;
  locations: Location[];
}) {
  const [to, setTo] = useState("");
  const [quantity, setQuantity] = useState("");
  const transfer = useTransfer(props.orgId);
  const { errors, handle, clear } = useFieldErrors();
  const row = props.row;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!row) return;
    clear();
    transfer.mutate(
      { stock_id: row.id, to_location_id: to, quantity },
      {
        onSuccess: () => {
          toastSuccess("Stock moved");
          setQuantity("");
          props.onClose();
        },
        onError: (error) => handle(error, ["to_location_id", "quantity", "stock_id"]),
      },
    );
  };
  return (
    <Dialog isOpen={row !== null} onClose={props.onClose} title={`Move ${props.item?.name ?? "stock"}`} icon="swap-horizontal">
      <form onSubmit={submit} aria-label="Move stock">
        <DialogBody>
          {row && <p>Available: {formatQuantity(row.available, props.item?.unit)}</p>}
          <Field label="To location" id="tr-to" error={errors.to_location_id}>
            <LocationPicker id="tr-to" locations={props.locations} value={to} onChange={setTo} />
          </Field>
          <Field label="Quantity" id="tr-quantity" error={errors.quantity}>
            <InputGroup id="tr-quantity" inputMode="decimal" value={quantity} onValueChange={setQuantity} />
          </Field>
        </DialogBody>
        <DialogFooter actions={<><Button text="Cancel" onClick={props.onClose} /><Button type="submit" intent={Intent.PRIMARY} text="Move" loading={transfer.isPending} /></>} />
      </form>
    </Dialog>
  );
}
