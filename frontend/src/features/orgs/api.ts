import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { orgKey, orgsKey } from "@/lib/queryKeys";

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

export function useAddMember(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: components["schemas"]["MemberAdd"]) =>
      unwrap(api.POST("/api/v1/orgs/{org_id}/members", { params: { path: { org_id: orgId } }, body })),
    onSuccess: () => client.invalidateQueries({ queryKey: orgKey(orgId, "members") }),
  });
}

