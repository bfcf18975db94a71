import { Button, Card, HTMLSelect, HTMLTable, InputGroup, Intent, Tag } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { useNavigate } from "react-router";
import { ConfirmDialog } from "@/components/ConfirmDialog";
import { Field, useFieldErrors } from "@/components/forms";
import { PageHeader } from "@/components/PageHeader";
import { SkeletonRows } from "@/components/Skeleton";
import { formatDateTime, formatPercent } from "@/lib/format";
import { useOrgId } from "@/lib/org";
import { useMyId } from "@/lib/me";
import { can, useRole, type Role } from "@/lib/role";
import { toastError, toastSuccess } from "@/lib/toast";
import { useChangeMember, useInvitations, useInvite, useLeaveOrg, useMembers, useRemoveMember, useRevokeInvitation, type Member } from "./api";
import { memberControls } from "./members";

/** A member's stock reliability (blank: the org's default); a 422 lands under the input. */
function ReliabilityControl({ orgId, member, label }: { orgId: string; member: Member; label: string }) {
  const initial = member.stock_reliability === null || member.stock_reliability === undefined ? "" : String(member.stock_reliability);
  const [value, setValue] = useState(initial);
  const change = useChangeMember(orgId);
  const { errors, handle, clear } = useFieldErrors();
  const id = `rel-${member.user_id}`;
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    // The raw text goes to the API, which names the field when it is not a number in (0, 1].
    const body = { stock_reliability: value.trim() === "" ? null : (value.trim() as unknown as number) };
    change.mutate(
      { userId: member.user_id, body },
      { onSuccess: () => toastSuccess(`Stock reliability of ${label} saved`), onError: (error) => handle(error, ["stock_reliability"]) },
    );
  };
  return (
    <form onSubmit={submit} className="qm-row" aria-label={`Stock reliability of ${label}`}>
      <Field label={`Stock reliability of ${label}`} id={id} error={errors.stock_reliability}>
        <InputGroup id={id} small inputMode="decimal" placeholder="org default" value={value} onValueChange={setValue} intent={errors.stock_reliability ? Intent.DANGER : Intent.NONE} />
      </Field>
      <Button small type="submit" text="Save" disabled={value === initial} loading={change.isPending} />
    </form>
  );
}

export default function MembersPage() {
  const orgId = useOrgId();
  const members = useMembers(orgId);
  const myRole = useRole(orgId);
  const myId = useMyId();
  const manage = can(myRole, "manage");
  const change = useChangeMember(orgId);
  const removeMember = useRemoveMember(orgId);
  const leave = useLeaveOrg(orgId);
  const navigate = useNavigate();
  const [removing, setRemoving] = useState<Member | null>(null);
  const [leaving, setLeaving] = useState(false);
  const name = (m: Member) => m.display_name ?? m.username;
  const setRoleOf = (m: Member, next: Role) =>
    change.mutate(
      { userId: m.user_id, body: { role: next } },
      { onSuccess: () => toastSuccess(`${name(m)} is now ${next}`), onError: (error) => toastError(error) },
    );
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
      <PageHeader
        title="Members"
        actions={myRole && <Button icon="log-out" intent={Intent.DANGER} minimal text="Leave organisation" onClick={() => setLeaving(true)} />}
      />
      {members.isPending ? (
        <SkeletonRows />
      ) : (
        <HTMLTable compact striped className="qm-table" aria-label="Members">
          <thead>
            <tr><th>Member</th><th>Role</th><th>Joined</th><th>Stock reliability</th>{manage && <th>Actions</th>}</tr>
          </thead>
          <tbody>
            {(members.data ?? []).map((m) => {
              const controls = memberControls(m, myRole, myId);
              return (
                <tr key={m.user_id}>
                  <td>{name(m)} <span className="qm-muted">@{m.username}</span>{m.user_id === myId && <span className="qm-muted"> (you)</span>}</td>
                  <td>
                    {controls.roles.length > 0 ? (
                      <HTMLSelect
                        minimal
                        aria-label={`Role of ${name(m)}`}
                        value={m.role}
                        disabled={change.isPending}
                        onChange={(e) => setRoleOf(m, e.currentTarget.value as Role)}
                      >
                        {controls.roles.map((r) => (
                          <option key={r} value={r}>{r}</option>
                        ))}
                      </HTMLSelect>
                    ) : (
                      <Tag minimal>{m.role}</Tag>
                    )}
                  </td>
                  <td>{formatDateTime(m.joined_at)}</td>
                  <td>
                    {manage ? (
                      <ReliabilityControl orgId={orgId} member={m} label={name(m)} />
                    ) : (
                      <span>{m.stock_reliability === null || m.stock_reliability === undefined ? "org default" : formatPercent(m.stock_reliability)}</span>
                    )}
                  </td>
                  {manage && (
                    <td>
                      {controls.remove && (
                        <Button small minimal icon="remove" intent={Intent.DANGER} aria-label={`Remove ${name(m)}`} title="Remove from the org" onClick={() => setRemoving(m)} />
                      )}
                    </td>
                  )}
                </tr>
              );
            })}
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
      <ConfirmDialog
        open={removing !== null}
        title="Remove member"
        icon="remove"
        confirmText="Remove"
        loading={removeMember.isPending}
        onCancel={() => setRemoving(null)}
        onConfirm={() =>
          removing !== null &&
          removeMember.mutate(removing.user_id, {
            onSuccess: () => {
              toastSuccess(`${name(removing)} was removed`);
              setRemoving(null);
            },
            onError: (error) => {
              toastError(error);
              setRemoving(null);
            },
          })
        }
      >
        <p>
          Remove {removing ? name(removing) : ""} from the organisation? Their shared stock stops serving it and the org's
          reservations on it are released.
        </p>
      </ConfirmDialog>
      <ConfirmDialog
        open={leaving}
        title="Leave organisation"
        icon="log-out"
        confirmText="Leave"
        loading={leave.isPending}
        onCancel={() => setLeaving(false)}
        onConfirm={() =>
          leave.mutate(undefined, {
            onSuccess: () => {
              toastSuccess("You left the organisation");
              void navigate("/orgs");
            },
            onError: (error) => {
              toastError(error);
              setLeaving(false);
            },
          })
        }
      >
        <p>Leave the organisation? You need a new invitation to come back. The last owner must hand ownership over first.</p>
      </ConfirmDialog>
    </div>
  );
}
