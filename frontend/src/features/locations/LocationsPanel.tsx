import { Button, Card, H4, HTMLSelect, HTMLTable, InputGroup, Intent, Tag } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { EmptyState } from "@/components/EmptyState";
import { Field, useFieldErrors } from "@/components/forms";
import { LocationPicker } from "@/components/pickers";
import { SkeletonRows } from "@/components/Skeleton";
import { formatAuec } from "@/lib/format";
import { useLocations } from "@/lib/lookups";
import { useCan } from "@/lib/role";
import { toastSuccess } from "@/lib/toast";
import { useCreateLocation, type LocationCreate } from "./api";

const PARENT_KINDS = new Set(["station", "city", "outpost", "poi", "hangar", "base", "storage", "planet", "moon", "lagrange"]);

/** The org's own places (hangars, bases, storage) and a form to add one under the universe tree. */
export function LocationsPanel({ orgId }: { orgId: string }) {
  const locations = useLocations(orgId);
  const create = useCreateLocation(orgId);
  const writable = useCan(orgId, "write");
  const [name, setName] = useState("");
  const [kind, setKind] = useState<LocationCreate["kind"]>("hangar");
  const [parent, setParent] = useState("");
  const [tripCost, setTripCost] = useState("");
  const { errors, handle, clear } = useFieldErrors();
  const own = locations.locations.filter((l) => l.owner === "org");
  const parents = locations.locations.filter((l) => PARENT_KINDS.has(l.kind));
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    create.mutate(
      { name, kind, parent_id: parent, trip_cost: tripCost === "" ? null : tripCost },
      {
        onSuccess: () => {
          toastSuccess(`${name} added`);
          setName("");
          setTripCost("");
        },
        onError: (error) => handle(error, ["name", "kind", "parent_id", "trip_cost"]),
      },
    );
  };
  return (
    <Card>
      <H4>Org locations</H4>
      {locations.isPending ? (
        <SkeletonRows rows={3} />
      ) : own.length === 0 ? (
        <EmptyState icon="map-marker" title="No org location yet" next="Add the hangar or storage where the org keeps its stock." />
      ) : (
        <HTMLTable compact striped className="qm-table" aria-label="Org locations">
          <thead>
            <tr><th>Name</th><th>Kind</th><th>Path</th><th>Trip cost</th></tr>
          </thead>
          <tbody>
            {own.map((l) => (
              <tr key={l.id}>
                <td>{l.name}</td>
                <td><Tag minimal>{l.kind}</Tag></td>
                <td>{l.path}</td>
                <td>{l.trip_cost ? formatAuec(l.trip_cost) : "default"}</td>
              </tr>
            ))}
          </tbody>
        </HTMLTable>
      )}
      {writable && (
        <form onSubmit={submit} aria-label="Add location" className="qm-form-inline">
          <Field label="Name" id="loc-name" error={errors.name}>
            <InputGroup id="loc-name" value={name} onValueChange={setName} />
          </Field>
          <Field label="Kind" id="loc-kind" error={errors.kind}>
            <HTMLSelect id="loc-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as LocationCreate["kind"])}>
              <option value="hangar">hangar</option>
              <option value="storage">storage</option>
              <option value="base">base</option>
            </HTMLSelect>
          </Field>
          <Field label="Inside" id="loc-parent" error={errors.parent_id}>
            <LocationPicker id="loc-parent" locations={parents} value={parent} onChange={setParent} placeholder="Choose a station, city or hangar…" />
          </Field>
          <Field label="Trip cost (aUEC, optional)" id="loc-trip" error={errors.trip_cost}>
            <InputGroup id="loc-trip" inputMode="decimal" value={tripCost} onValueChange={setTripCost} />
          </Field>
          <Button type="submit" intent={Intent.PRIMARY} text="Add location" loading={create.isPending} />
        </form>
      )}
    </Card>
  );
}
