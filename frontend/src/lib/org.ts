import { useParams } from "react-router";

/** The org of the current route (`/orgs/:orgId/...`). Throws outside an org route. */
export function useOrgId(): string {
  const { orgId } = useParams();
  if (!orgId) throw new Error("useOrgId used outside /orgs/:orgId");
  return orgId;
}

const LAST_ORG_KEY = "qm.lastOrg";

export function rememberOrg(orgId: string): void {
  localStorage.setItem(LAST_ORG_KEY, orgId);
}

export function lastOrg(): string | null {
  return localStorage.getItem(LAST_ORG_KEY);
}
