// Every org-scoped query key starts with ["org", orgId, domain]: the live feed invalidates a
// whole domain of one org without knowing the features' finer keys.
export type Domain =
  | "stock"
  | "history"
  | "locations"
  | "ships"
  | "items"
  | "goals"
  | "plans"
  | "crafts"
  | "sources"
  | "blueprints"
  | "members"
  | "invitations"
  | "reservations"
  | "webhooks"
  | "analytics"
  | "imports";

export function orgKey(orgId: string, domain: Domain, ...rest: unknown[]): unknown[] {
  return ["org", orgId, domain, ...rest];
}

export const meKey = ["me"] as const;
export const orgsKey = ["orgs"] as const;
