import type { Role } from "@/lib/role";

export interface MemberControls {
  /** Roles the caller may give this member (empty: the role is shown, not editable). */
  roles: Role[];
  /** The caller may remove this member. */
  remove: boolean;
}

/**
 * What the caller may do to a member, as the API decides it: admins and owners manage
 * members, only owners grant, change or remove `owner`; nobody edits themselves here (they
 * leave instead). Viewers and members get no controls, so nothing they see answers 403.
 */
export function memberControls(member: { user_id: string; role: Role }, myRole: Role | undefined, myId: string | undefined): MemberControls {
  const none: MemberControls = { roles: [], remove: false };
  if (myId === undefined || member.user_id === myId) return none;
  if (myRole === "owner") return { roles: ["owner", "admin", "member", "viewer"], remove: true };
  if (myRole === "admin" && member.role !== "owner") return { roles: ["admin", "member", "viewer"], remove: true };
  return none;
}
