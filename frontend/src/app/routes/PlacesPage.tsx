import { PageHeader } from "@/components/PageHeader";
import { useOrgId } from "@/lib/org";
import { LocationsPanel } from "@/features/locations/LocationsPanel";
import { ShipsPanel } from "@/features/ships/ShipsPanel";

/** Where stock can live: the org's own locations and its ships' cargo grids. */
export default function PlacesPage() {
  const orgId = useOrgId();
  return (
    <div className="qm-page">
      <PageHeader title="Locations & ships" />
      <div className="qm-grid-2">
        <LocationsPanel orgId={orgId} />
        <ShipsPanel orgId={orgId} />
      </div>
    </div>
  );
}
