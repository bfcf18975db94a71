import { Button, Card, HTMLSelect, HTMLTable, InputGroup, Tag } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { Field, useFieldErrors } from "@/components/forms";
import { PageHeader } from "@/components/PageHeader";
import { SkeletonRows } from "@/components/Skeleton";
import { formatDateTime } from "@/lib/format";
import { useOrgId } from "@/lib/org";
import { useCan } from "@/lib/role";
import { useInvitations, useInvite, useMembers, useRevokeInvitation } from "./api";

export default function MembersPage() {
  const orgId = useOrgId();
  const members = useMembers(orgId);
  const manage = useCan(orgId, "manage");
  const add = useInvite(orgId);
  const invitations = useInvitations(orgId, manage);
  const revoke = useRevokeInvitation(orgId);
  const pending = (invitations.data ?? []).filter((i) => i.status === "pending");
  const [username, setUsername] = useState("");
  const [role, setRole] = useState<"member" | "viewer" | "admin">("member");
  const { errors, handle, clear } = useFieldErrors();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    add.mutate({ username, role }, { onSuccess: () => setUsername(""), onError: (error) => handle(error, ["username", "role"]) });
  };
  return (
    <div className="qm-page">
      <PageHeader title="Members" />
      {members.isPending ? (
        <SkeletonRows />
      ) : (
        <HTMLTable compact striped className="qm-table" aria-label="Members">
          <thead>
            <tr><th>Member</th><th>Role</th><th>Joined</th></tr>
          </thead>
          <tbody>
            {(members.data ?? []).map((m) => (
              <tr key={m.user_id}>
                <td>{m.display_name ?? m.username} <span className="qm-muted">@{m.username}</span></td>
                <td><Tag minimal>{m.role}</Tag></td>
                <td>{formatDateTime(m.joined_at)}</td>
              </tr>
            ))}
          </tbody>
        </HTMLTable>
      )}
      {manage && pending.length > 0 && (
        <HTMLTable compact striped className="qm-table" aria-label="Pending invitations">
          <thead>
            <tr><th>Invited</th><th>Role</th><th>Expires</th><th /></tr>
          </thead>
          <tbody>
            {pending.map((i) => (
              <tr key={i.id}>
                <td>{i.username ?? i.email}</td>
                <td><Tag minimal>{i.role}</Tag></td>
                <td>{formatDateTime(i.expires_at)}</td>
                <td><Button small minimal text="Revoke" loading={revoke.isPending} onClick={() => revoke.mutate(i.id)} /></td>
              </tr>
            ))}
          </tbody>
        </HTMLTable>
      )}
      {manage && (
        <Card className="qm-narrow">
          <form onSubmit={submit} aria-label="Invite member">
            <Field label="Username" id="member-username" error={errors.username}>
              <InputGroup id="member-username" value={username} onValueChange={setUsername} />
            </Field>
            <Field label="Role" id="member-role" error={errors.role}>
              <HTMLSelect id="member-role" value={role} onChange={(e) => setRole(e.currentTarget.value as typeof role)}>
                <option value="viewer">viewer</option>
                <option value="member">member</option>
                <option value="admin">admin</option>
              </HTMLSelect>
            </Field>
            <Button type="submit" text="Invite member" loading={add.isPending} />
          </form>
        </Card>
      )}
    </div>
  );
}
