import { PageHeader } from "@/components/PageHeader";
import { useOrgId } from "@/lib/org";
import { BlueprintsBrowser } from "@/features/blueprints/BlueprintsBrowser";
import { ItemsBrowser } from "@/features/items/ItemsBrowser";

export default function CataloguePage() {
  const orgId = useOrgId();
  return (
    <div className="qm-page">
      <PageHeader title="Catalogue" />
      <BlueprintsBrowser orgId={orgId} />
      <ItemsBrowser orgId={orgId} />
    </div>
  );
}
