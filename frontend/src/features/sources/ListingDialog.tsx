import { Button, Dialog, DialogBody, DialogFooter, InputGroup, Intent } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { Field, useFieldErrors } from "@/components/forms";
import { ItemPicker, LocationPicker } from "@/components/pickers";
import type { Item, Location } from "@/lib/lookups";
import { toastSuccess } from "@/lib/toast";
import { readNumbers, useSaveSource, type Source } from "./api";

const FIELDS = ["item_id", "location_id", "price", "available", "lot_size", "quality", "holder_name"];

function text(value: number | null | undefined): string {
  return value === null || value === undefined ? "" : String(value);
}

/** Add a market listing, or edit one of the org's (`listing` given). Remount per listing. */
export function ListingDialog(props: {
  orgId: string;
  open: boolean;
  listing: Source | null;
  onClose: () => void;
  items: Item[];
  locations: Location[];
}) {
  const l = props.listing;
  const [itemId, setItemId] = useState(l?.item_id ?? "");
  const [locationId, setLocationId] = useState(l?.location_id ?? "");
  const [price, setPrice] = useState(text(l?.price));
  const [available, setAvailable] = useState(text(l?.available));
  const [lot, setLot] = useState(text(l?.lot_size));
  const [quality, setQuality] = useState(text(l?.quality ?? 0));
  const [holder, setHolder] = useState(l?.holder_name ?? "");
  const save = useSaveSource(props.orgId);
  const { errors, setErrors, handle, clear } = useFieldErrors();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    const numbers = readNumbers({ price, available, lot_size: lot, quality });
    if (Object.keys(numbers.errors).length > 0) {
      setErrors(numbers.errors as Record<string, string>);
      return;
    }
    const { values } = numbers;
    const body = {
      item_id: itemId,
      location_id: locationId,
      // A missing price or quality goes as null: the API names the field (422).
      price: values.price as number,
      available: values.available,
      lot_size: values.lot_size,
      quality: values.quality as number,
      holder_name: holder.trim() || null,
    };
    save.mutate(
      { id: l?.id ?? null, body },
      {
        onSuccess: () => {
          toastSuccess(l ? "Listing updated" : "Listing added");
          props.onClose();
        },
        onError: (error) => handle(error, FIELDS),
      },
    );
  };
  return (
    <Dialog isOpen={props.open} onClose={props.onClose} title={l ? "Edit listing" : "Add a listing"} icon="shop">
      <form onSubmit={submit} aria-label={l ? "Edit listing" : "Add listing"}>
        <DialogBody>
          <Field label="Item" id="src-item" error={errors.item_id}>
            <ItemPicker id="src-item" items={props.items} value={itemId} onChange={setItemId} />
          </Field>
          <Field label="Terminal location" id="src-location" error={errors.location_id}>
            <LocationPicker id="src-location" locations={props.locations} value={locationId} onChange={setLocationId} />
          </Field>
          <Field label="Price per unit (aUEC)" id="src-price" error={errors.price}>
            <InputGroup id="src-price" inputMode="decimal" value={price} onValueChange={setPrice} />
          </Field>
          <Field label="Available (empty: unknown)" id="src-available" error={errors.available}>
            <InputGroup id="src-available" inputMode="decimal" value={available} onValueChange={setAvailable} />
          </Field>
          <Field label="Lot size (empty: any amount)" id="src-lot" error={errors.lot_size}>
            <InputGroup id="src-lot" inputMode="decimal" value={lot} onValueChange={setLot} />
          </Field>
          <Field label="Quality (0–1000)" id="src-quality" error={errors.quality}>
            <InputGroup id="src-quality" inputMode="numeric" value={quality} onValueChange={setQuality} />
          </Field>
          <Field label="Terminal name (optional)" id="src-holder" error={errors.holder_name}>
            <InputGroup id="src-holder" value={holder} onValueChange={setHolder} />
          </Field>
        </DialogBody>
        <DialogFooter actions={<><Button text="Cancel" onClick={props.onClose} /><Button type="submit" intent={Intent.PRIMARY} text="Save listing" loading={save.isPending} /></>} />
      </form>
    </Dialog>
  );
}
