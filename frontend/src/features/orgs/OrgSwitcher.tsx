import { HTMLSelect } from "@blueprintjs/core";
import { useNavigate } from "react-router";
import { useOrgs } from "./api";

/** Switch org: keeps the section (inventory, plans, …) when the new org has it too. */
export function OrgSwitcher({ orgId, section }: { orgId: string | undefined; section: string }) {
  const orgs = useOrgs();
  const navigate = useNavigate();
  return (
    <HTMLSelect
      aria-label="Organisation"
      value={orgId ?? ""}
      minimal
      onChange={(e) => {
        const next = e.currentTarget.value;
        void navigate(next === "" ? "/orgs" : `/orgs/${next}/${section}`);
      }}
    >
      {!orgId && <option value="">Choose an organisation…</option>}
      {(orgs.data ?? []).map((o) => (
        <option key={o.id} value={o.id}>
          {o.name}
        </option>
      ))}
      <option value="">Manage organisations…</option>
    </HTMLSelect>
  );
}
