import { Button, Card, H4, InputGroup, Intent, Tag } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { Link, useNavigate } from "react-router";
import { EmptyState } from "@/components/EmptyState";
import { Field, useFieldErrors } from "@/components/forms";
import { PageHeader } from "@/components/PageHeader";
import { SkeletonRows } from "@/components/Skeleton";
import { useAnswerInvitation, useCreateOrg, useMyInvitations, useOrgs } from "./api";

export function CreateOrgForm() {
  const [name, setName] = useState("");
  const [description, setDescription] = useState("");
  const create = useCreateOrg();
  const navigate = useNavigate();
  const { errors, handle, clear } = useFieldErrors();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    create.mutate(
      { name, description: description || null },
      { onSuccess: (org) => void navigate(`/orgs/${org.id}`), onError: (error) => handle(error, ["name", "description"]) },
    );
  };
  return (
    <form onSubmit={submit} aria-label="Create organisation">
      <Field label="Organisation name" id="org-name" error={errors.name}>
        <InputGroup id="org-name" value={name} onValueChange={setName} />
      </Field>
      <Field label="Description (optional)" id="org-description" error={errors.description}>
        <InputGroup id="org-description" value={description} onValueChange={setDescription} />
      </Field>
      <Button type="submit" intent={Intent.PRIMARY} text="Create organisation" loading={create.isPending} />
    </form>
  );
}

function MyInvitations() {
  const invitations = useMyInvitations();
  const answer = useAnswerInvitation();
  const rows = invitations.data ?? [];
  if (rows.length === 0) return null;
  return (
    <Card>
      <H4>Invitations</H4>
      <ul className="qm-list" aria-label="Invitations">
        {rows.map((i) => (
          <li key={i.id}>
            {i.organization_name} <Tag minimal>{i.role}</Tag>{" "}
            <Button small intent={Intent.PRIMARY} text="Accept" loading={answer.isPending} onClick={() => answer.mutate({ id: i.id, accept: true })} />{" "}
            <Button small minimal text="Decline" loading={answer.isPending} onClick={() => answer.mutate({ id: i.id, accept: false })} />
          </li>
        ))}
      </ul>
    </Card>
  );
}

export default function OrgsPage() {
  const orgs = useOrgs();
  return (
    <div className="qm-page">
      <PageHeader title="Organisations" />
      <MyInvitations />
      <div className="qm-grid-2">
        <Card>
          <H4>Your organisations</H4>
          {orgs.isPending ? (
            <SkeletonRows rows={3} />
          ) : (orgs.data ?? []).length === 0 ? (
            <EmptyState icon="people" title="No organisation yet" next="Create one to start tracking stock and planning." />
          ) : (
            <ul className="qm-list">
              {(orgs.data ?? []).map((o) => (
                <li key={o.id}>
                  <Link to={`/orgs/${o.id}`}>{o.name}</Link> <Tag minimal>{o.role}</Tag>{" "}
                  <span className="qm-muted">{o.member_count} members</span>
                </li>
              ))}
            </ul>
          )}
        </Card>
        <Card>
          <H4>New organisation</H4>
          <CreateOrgForm />
        </Card>
      </div>
    </div>
  );
}
