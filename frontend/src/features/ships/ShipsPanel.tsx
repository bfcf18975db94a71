import { Button, Card, H4, HTMLSelect, HTMLTable, InputGroup, Intent, ProgressBar } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { EmptyState } from "@/components/EmptyState";
import { Field, useFieldErrors } from "@/components/forms";
import { LocationPicker } from "@/components/pickers";
import { SkeletonRows } from "@/components/Skeleton";
import { formatScu, toNumber } from "@/lib/format";
import { useItems, useLocations, type Item } from "@/lib/lookups";
import { useCan } from "@/lib/role";
import { toastSuccess } from "@/lib/toast";
import { useCargo, useCreateShip, useShips, useShipTypes, type Ship } from "./api";

function cargoVolume(rows: { item_id: string; quantity: string }[], items: Map<string, Item>): number {
  return rows.reduce((sum, r) => {
    const item = items.get(r.item_id);
    const per = item?.volume_scu != null ? toNumber(item.volume_scu) : item?.unit === "piece" ? 0 : 1;
    return sum + per * toNumber(r.quantity);
  }, 0);
}

function ShipRow({ orgId, ship, items }: { orgId: string; ship: Ship; items: Map<string, Item> }) {
  const cargo = useCargo(orgId, ship.cargo_location_id);
  const used = cargoVolume(cargo.data ?? [], items);
  const capacity = toNumber(ship.cargo_capacity_scu);
  const fill = capacity > 0 ? Math.min(1, used / capacity) : 0;
  return (
    <tr>
      <td>{ship.name}</td>
      <td>{ship.ship_type}</td>
      <td>{ship.current_location_path ?? "—"}</td>
      <td className="qm-fill">
        <ProgressBar value={fill} stripes={false} intent={fill > 0.9 ? Intent.WARNING : Intent.PRIMARY} aria-label={`${ship.name} cargo fill`} />
        <span className="qm-muted">{formatScu(used)} / {formatScu(capacity)}</span>
      </td>
    </tr>
  );
}

/** The org's ships with cargo fill (SCU used / capacity) and a form to add one. */
export function ShipsPanel({ orgId }: { orgId: string }) {
  const ships = useShips(orgId);
  const types = useShipTypes();
  const items = useItems(orgId);
  const locations = useLocations(orgId);
  const create = useCreateShip(orgId);
  const writable = useCan(orgId, "write");
  const [name, setName] = useState("");
  const [shipType, setShipType] = useState("");
  const [at, setAt] = useState("");
  const { errors, handle, clear } = useFieldErrors();
  const parkable = locations.locations.filter((l) => l.owner !== "universe" || ["station", "city", "outpost"].includes(l.kind));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    create.mutate(
      { name, ship_type: shipType, current_location_id: at || null },
      {
        onSuccess: () => {
          toastSuccess(`${name} added`);
          setName("");
        },
        onError: (error) => handle(error, ["name", "ship_type", "current_location_id", "cargo_capacity_scu"]),
      },
    );
  };
  return (
    <Card>
      <H4>Ships</H4>
      {ships.isPending ? (
        <SkeletonRows rows={3} />
      ) : (ships.data ?? []).length === 0 ? (
        <EmptyState icon="airplane" title="No ship yet" next="Add a ship: its cargo grid becomes a place to hold stock, and plans use its capacity for trips." />
      ) : (
        <HTMLTable compact striped className="qm-table" aria-label="Ships">
          <thead>
            <tr><th>Name</th><th>Type</th><th>Parked at</th><th>Cargo</th></tr>
          </thead>
          <tbody>
            {(ships.data ?? []).map((s) => (
              <ShipRow key={s.id} orgId={orgId} ship={s} items={items.byId} />
            ))}
          </tbody>
        </HTMLTable>
      )}
      {writable && (
        <form onSubmit={submit} aria-label="Add ship" className="qm-form-inline">
          <Field label="Ship name" id="ship-name" error={errors.name}>
            <InputGroup id="ship-name" value={name} onValueChange={setName} />
          </Field>
          <Field label="Type" id="ship-type" error={errors.ship_type}>
            <HTMLSelect id="ship-type" value={shipType} onChange={(e) => setShipType(e.currentTarget.value)}>
              <option value="">Choose a type…</option>
              {(types.data ?? []).map((t) => (
                <option key={t.name} value={t.name}>
                  {t.name} ({formatScu(t.cargo_capacity_scu)})
                </option>
              ))}
            </HTMLSelect>
          </Field>
          <Field label="Parked at (optional)" id="ship-at" error={errors.current_location_id}>
            <LocationPicker id="ship-at" locations={parkable} value={at} onChange={setAt} placeholder="Nowhere yet" />
          </Field>
          <Button type="submit" intent={Intent.PRIMARY} text="Add ship" loading={create.isPending} />
        </form>
      )}
    </Card>
  );
}
