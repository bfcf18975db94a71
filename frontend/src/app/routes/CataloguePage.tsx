import { PageHeader } from "@/components/PageHeader";
import { useOrgId } from "@/lib/org";
import { useCan } from "@/lib/role";
import { BlueprintsBrowser } from "@/features/blueprints/BlueprintsBrowser";
import { ProposeBlueprintButton, ProposeItemButton } from "@/features/commons/Propose";
import { ItemsBrowser } from "@/features/items/ItemsBrowser";

export default function CataloguePage() {
  const orgId = useOrgId();
  // The org's own records can be proposed to the commons by those who may edit them.
  const writable = useCan(orgId, "write");
  return (
    <div className="qm-page">
      <PageHeader title="Catalogue" />
      <BlueprintsBrowser
        orgId={orgId}
        actions={(bp) => (writable && bp.organization_id === orgId ? <ProposeBlueprintButton orgId={orgId} blueprintId={bp.id} /> : null)}
      />
      <ItemsBrowser
        orgId={orgId}
        rowAction={(item) => (writable && !item.shared ? <ProposeItemButton orgId={orgId} item={item} /> : null)}
      />
    </div>
  );
}
