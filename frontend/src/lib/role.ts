// Per-role UI: a viewer sees no button that would answer 403. Mirrors the matrix in
// docs/permissions.md; the API enforces it regardless.
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { orgsKey } from "@/lib/queryKeys";

export type Role = components["schemas"]["OrgOut"]["role"];
export type Action = "write" | "apply" | "manage";

const RANK: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };
const NEEDS: Record<Action, Role> = { write: "member", apply: "admin", manage: "admin" };

export function can(role: Role | undefined, action: Action): boolean {
  return role !== undefined && RANK[role] >= RANK[NEEDS[action]];
}

/** The caller's role in the org (from the cached org list). */
export function useRole(orgId: string): Role | undefined {
  const orgs = useQuery({ queryKey: orgsKey, queryFn: () => unwrap(api.GET("/api/v1/orgs")) });
  return orgs.data?.find((o) => o.id === orgId)?.role;
}

export function useCan(orgId: string, action: Action): boolean {
  return can(useRole(orgId), action);
}
