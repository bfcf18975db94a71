import { Button, Callout, Dialog, DialogBody, DialogFooter, HTMLSelect, HTMLTable, InputGroup, Intent } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { Field, useFieldErrors } from "@/components/forms";
import { ItemPicker, LocationPicker } from "@/components/pickers";
import { EmptyState } from "@/components/EmptyState";
import { SkeletonRows } from "@/components/Skeleton";
import { formatQuality, formatQuantity } from "@/lib/format";
import type { Item, Location } from "@/lib/lookups";
import { toastSuccess } from "@/lib/toast";
import { useAdjust, useReserve, useSharing, useTransfer, useWhereIs, type StockRow } from "./api";

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

/** Hold units of an org (or shared member) stock row for a purpose. */
export function ReserveDialog(props: { orgId: string; row: StockRow | null; onClose: () => void; item: Item | undefined }) {
  const [quantity, setQuantity] = useState("");
  const [reason, setReason] = useState("");
  const reserve = useReserve(props.orgId);
  const { errors, handle, clear } = useFieldErrors();
  const row = props.row;
  const close = () => {
    clear();
    props.onClose();
  };
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!row) return;
    clear();
    reserve.mutate(
      { stock_id: row.id, quantity, reason: reason || null },
      {
        onSuccess: () => {
          toastSuccess("Stock reserved");
          setQuantity("");
          setReason("");
          props.onClose();
        },
        onError: (error) => handle(error, ["quantity", "reason", "stock_id"]),
      },
    );
  };
  return (
    <Dialog isOpen={row !== null} onClose={close} title={`Reserve ${props.item?.name ?? "stock"}`} icon="lock">
      <form onSubmit={submit} aria-label="Reserve stock">
        <DialogBody>
          {row && (
            <p>
              Available: {formatQuantity(row.available, props.item?.unit)} at {row.location_path ?? "this location"} (
              {formatQuality(row.quality)})
            </p>
          )}
          <Field label="Quantity" id="res-quantity" error={errors.quantity}>
            <InputGroup id="res-quantity" inputMode="decimal" value={quantity} onValueChange={setQuantity} />
          </Field>
          <Field label="Reason (optional)" id="res-reason" error={errors.reason}>
            <InputGroup id="res-reason" value={reason} onValueChange={setReason} placeholder="e.g. hull plating for the refit" />
          </Field>
        </DialogBody>
        <DialogFooter actions={<><Button text="Cancel" onClick={close} /><Button type="submit" intent={Intent.PRIMARY} text="Reserve" loading={reserve.isPending} /></>} />
      </form>
    </Dialog>
  );
}

/** Share one of your personal rows with the org, or withdraw it (refused while reserved). */
export function SharingDialog(props: {
  orgId: string;
  target: { row: StockRow; action: "share" | "withdraw" } | null;
  onClose: () => void;
  item: Item | undefined;
}) {
  const sharing = useSharing(props.orgId);
  const { handle } = useFieldErrors();
  const target = props.target;
  const share = target?.action === "share";
  const submit = (e: FormEvent) => {
    e.preventDefault();
    if (!target) return;
    sharing.mutate(
      { stockId: target.row.id, action: target.action },
      {
        onSuccess: () => {
          toastSuccess(share ? "Shared with the organisation" : "Withdrawn from the organisation");
          props.onClose();
        },
        onError: (error) => handle(error, []),
      },
    );
  };
  const what = target ? `${formatQuantity(target.row.quantity, props.item?.unit)} of ${props.item?.name ?? "this item"}` : "";
  return (
    <Dialog
      isOpen={target !== null}
      onClose={props.onClose}
      title={share ? "Share with the organisation" : "Withdraw from the organisation"}
      icon={share ? "share" : "undo"}
    >
      <form onSubmit={submit} aria-label={share ? "Share stock" : "Withdraw stock"}>
        <DialogBody>
          {share ? (
            <p>
              Share {what} at {target?.row.location_path ?? "this location"}: the org's planner may then reserve it as
              member supply. It stays yours, and you can withdraw it while nothing of it is reserved.
            </p>
          ) : (
            <p>
              Withdraw {what} at {target?.row.location_path ?? "this location"}: the org no longer sees or plans with it.
              Refused while the org has part of it reserved.
            </p>
          )}
        </DialogBody>
        <DialogFooter
          actions={
            <>
              <Button text="Cancel" onClick={props.onClose} />
              <Button type="submit" intent={share ? Intent.PRIMARY : Intent.WARNING} text={share ? "Share" : "Withdraw"} loading={sharing.isPending} />
            </>
          }
        />
      </form>
    </Dialog>
  );
}

/** Where is item X: totals by location, quality and tier. */
export function WhereIsDialog(props: { orgId: string; open: boolean; onClose: () => void; items: Item[] }) {
  const [itemId, setItemId] = useState("");
  const where = useWhereIs(props.orgId, itemId);
  const item = props.items.find((i) => i.id === itemId);
  return (
    <Dialog isOpen={props.open} onClose={props.onClose} title="Where is…" icon="search-around" style={{ width: 720 }}>
      <DialogBody>
        <Field label="Item" id="where-item">
          <ItemPicker id="where-item" items={props.items} value={itemId} onChange={setItemId} />
        </Field>
        {itemId === "" ? (
          <p className="qm-muted">Pick an item to see every place that holds it.</p>
        ) : where.isPending ? (
          <SkeletonRows rows={3} />
        ) : where.isError ? (
          <Callout intent={Intent.DANGER} title="Could not read where the item is" />
        ) : where.data.length === 0 ? (
          <EmptyState icon="search" title={`No ${item?.name ?? "stock"} anywhere`} next="Neither the org nor a member shares any." />
        ) : (
          <HTMLTable compact striped aria-label={`Where is ${item?.name ?? "the item"}`} style={{ width: "100%" }}>
            <thead>
              <tr>
                <th>Location</th>
                <th>Quality</th>
                <th>Held by</th>
                <th className="qm-num">Quantity</th>
                <th className="qm-num">Reserved</th>
                <th className="qm-num">Available</th>
              </tr>
            </thead>
            <tbody>
              {where.data.map((r) => (
                <tr key={`${r.location_id}-${r.quality}-${r.tier}`}>
                  <td>{r.location_path ?? r.location_name ?? r.location_id.slice(0, 8)}</td>
                  <td>{formatQuality(r.quality)}</td>
                  <td>{r.tier === "org" ? "org" : `members (shared, ${r.rows} ${r.rows === 1 ? "row" : "rows"})`}</td>
                  <td className="qm-num">{formatQuantity(r.quantity, item?.unit)}</td>
                  <td className="qm-num">{formatQuantity(r.reserved, item?.unit)}</td>
                  <td className="qm-num">{formatQuantity(r.available, item?.unit)}</td>
                </tr>
              ))}
            </tbody>
          </HTMLTable>
        )}
      </DialogBody>
      <DialogFooter actions={<Button text="Close" onClick={props.onClose} />} />
    </Dialog>
  );
}
