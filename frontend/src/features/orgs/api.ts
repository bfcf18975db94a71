import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { meKey, orgKey, orgsKey } from "@/lib/queryKeys";

export type Org = components["schemas"]["OrgOut"];
export type Role = Org["role"];

export function useOrgs(enabled = true) {
  return useQuery({ queryKey: orgsKey, queryFn: () => unwrap(api.GET("/api/v1/orgs")), enabled });
}

export function useCreateOrg() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: components["schemas"]["OrgCreate"]) => unwrap(api.POST("/api/v1/orgs", { body })),
    onSuccess: () => client.invalidateQueries({ queryKey: orgsKey }),
  });
}

export function useMembers(orgId: string) {
  return useQuery({
    queryKey: orgKey(orgId, "members"),
    queryFn: () => unwrap(api.GET("/api/v1/orgs/{org_id}/members", { params: { path: { org_id: orgId } } })),
  });
}

export type Invitation = components["schemas"]["InvitationOut"];

/** The org's invitations (admins see them on the members page). */
export function useInvitations(orgId: string, enabled: boolean) {
  return useQuery({
    queryKey: orgKey(orgId, "invitations"),
    queryFn: () => unwrap(api.GET("/api/v1/orgs/{org_id}/invitations", { params: { path: { org_id: orgId } } })),
    enabled,
  });
}

/** Membership is by invitation: the invited player accepts it from their organisations page. */
export function useInvite(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: components["schemas"]["InvitationCreate"]) =>
      unwrap(api.POST("/api/v1/orgs/{org_id}/invitations", { params: { path: { org_id: orgId } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKey(orgId, "invitations") }),
  });
}

export function useRevokeInvitation(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) =>
      unwrap(api.DELETE("/api/v1/orgs/{org_id}/invitations/{invitation_id}", { params: { path: { org_id: orgId, invitation_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKey(orgId, "invitations") }),
  });
}

const MY_INVITATIONS = [...meKey, "invitations"] as const;

export function useMyInvitations() {
  return useQuery({ queryKey: MY_INVITATIONS, queryFn: () => unwrap(api.GET("/api/v1/users/me/invitations")) });
}

export function useAnswerInvitation() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ id, accept }: { id: string; accept: boolean }) => {
      const params = { path: { invitation_id: id } };
      return accept
        ? unwrap(api.POST("/api/v1/users/me/invitations/{invitation_id}/accept", { params }))
        : unwrap(api.POST("/api/v1/users/me/invitations/{invitation_id}/decline", { params }));
    },
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: MY_INVITATIONS });
      void client.invalidateQueries({ queryKey: orgsKey });
    },
  });
}

export type Member = components["schemas"]["MemberOut"];
export type MemberPatch = components["schemas"]["MemberPatch"];

/** Change a member's role (admins and owners; only owners grant or take `owner`). */
export function useChangeMember(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: ({ userId, body }: { userId: string; body: MemberPatch }) =>
      unwrap(api.PATCH("/api/v1/orgs/{org_id}/members/{user_id}", { params: { path: { org_id: orgId, user_id: userId } }, body })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: orgKey(orgId, "members") });
      void client.invalidateQueries({ queryKey: orgsKey });
    },
  });
}

export function useRemoveMember(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (userId: string) =>
      unwrap(api.DELETE("/api/v1/orgs/{org_id}/members/{user_id}", { params: { path: { org_id: orgId, user_id: userId } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKey(orgId, "members") }),
  });
}

/** Leave the org (the last owner is refused with a 409 until they hand ownership over). */
export function useLeaveOrg(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/orgs/{org_id}/leave", { params: { path: { org_id: orgId } } })),
    onSuccess: () => {
      client.removeQueries({ queryKey: ["org", orgId] });
      void client.invalidateQueries({ queryKey: orgsKey });
    },
  });
}
