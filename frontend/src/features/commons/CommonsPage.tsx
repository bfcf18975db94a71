import { Button, Card, Dialog, DialogBody, DialogFooter, H4, HTMLSelect, HTMLTable, InputGroup, Intent, Tag, TextArea } from "@blueprintjs/core";
import { useState, type FormEvent } from "react";
import { EmptyState } from "@/components/EmptyState";
import { Field, useFieldErrors } from "@/components/forms";
import { PageHeader } from "@/components/PageHeader";
import { SkeletonRows } from "@/components/Skeleton";
import { formatDateTime } from "@/lib/format";
import { useCommonsFeed } from "@/lib/live";
import { useOrgId } from "@/lib/org";
import { useCan } from "@/lib/role";
import { toastSuccess } from "@/lib/toast";
import {
  isForbidden,
  useDecide,
  useHide,
  usePublicEntities,
  useSubmissions,
  useTakedown,
  useVersions,
  type DecisionIn,
  type Entity,
  type EntityKind,
  type Submission,
} from "./api";
import { diffRows, isFormKind, submissionTitle } from "./data";
import { SubmitBlueprintDialog, SubmitEntityDialog } from "./SubmitDialogs";

const KINDS: EntityKind[] = ["blueprint", "item", "location", "tag"];

function VersionsDialog({ entity, onClose }: { entity: Entity | null; onClose: () => void }) {
  const versions = useVersions(entity?.id ?? null);
  return (
    <Dialog isOpen={entity !== null} onClose={onClose} title={`Versions of ${entity?.name ?? ""}`} icon="history" style={{ width: 720 }}>
      <DialogBody>
        {versions.isPending ? (
          <SkeletonRows />
        ) : (
          <HTMLTable compact striped className="qm-table" aria-label="Versions">
            <thead>
              <tr><th>Version</th><th>Status</th><th>Published</th><th>Data</th></tr>
            </thead>
            <tbody>
              {(versions.data ?? []).map((v) => (
                <tr key={v.version}>
                  <td>v{v.version}</td>
                  <td><Tag minimal intent={v.status === "current" ? Intent.SUCCESS : Intent.NONE}>{v.status}</Tag></td>
                  <td>{formatDateTime(v.created_at)}</td>
                  <td><code className="qm-code">{JSON.stringify(v.data)}</code></td>
                </tr>
              ))}
            </tbody>
          </HTMLTable>
        )}
      </DialogBody>
    </Dialog>
  );
}

/** Browse and search the published entities; hide a public blueprint for this org. */
function BrowsePanel({ orgId, moderator }: { orgId: string; moderator: boolean }) {
  const [kind, setKind] = useState<EntityKind>("blueprint");
  const [q, setQ] = useState("");
  const [viewing, setViewing] = useState<Entity | null>(null);
  const [changing, setChanging] = useState<Entity | null>(null);
  const [removing, setRemoving] = useState<Entity | null>(null);
  const entities = usePublicEntities(kind, q);
  const hide = useHide(orgId);
  const canHide = useCan(orgId, "write");
  const list = entities.data ?? [];
  return (
    <Card>
      <H4>Public catalogue</H4>
      <div className="qm-form-inline">
        <Field label="Kind" id="commons-kind">
          <HTMLSelect id="commons-kind" value={kind} onChange={(e) => setKind(e.currentTarget.value as EntityKind)}>
            {KINDS.map((k) => <option key={k} value={k}>{k}</option>)}
          </HTMLSelect>
        </Field>
        <Field label="Search names, aliases and tags" id="commons-q">
          <InputGroup id="commons-q" type="search" leftIcon="search" value={q} onValueChange={setQ} placeholder="e.g. quant" />
        </Field>
      </div>
      {entities.isPending ? (
        <SkeletonRows />
      ) : list.length === 0 ? (
        <EmptyState icon="search" title="Nothing published matches" next="Submit it: a moderator reviews every submission before it becomes public." />
      ) : (
        <HTMLTable compact striped className="qm-table" aria-label="Public entities">
          <thead>
            <tr><th>Name</th><th>Version</th><th>Aliases</th><th>Tags</th><th><span className="qm-sr-only">Actions</span></th></tr>
          </thead>
          <tbody>
            {list.map((e) => (
              <tr key={e.id}>
                <td>{e.name}</td>
                <td>v{e.version}</td>
                <td>{e.aliases.join(", ")}</td>
                <td>{e.tags.map((t) => <Tag key={t} minimal className="qm-tag-gap">{t}</Tag>)}</td>
                <td className="qm-row">
                  <Button small text="Versions" aria-label={`Versions of ${e.name}`} onClick={() => setViewing(e)} />
                  {isFormKind(e.kind) && (
                    <Button small minimal icon="edit" text="Propose a change" aria-label={`Propose a change to ${e.name}`} onClick={() => setChanging(e)} />
                  )}
                  {moderator && (
                    <Button small minimal intent={Intent.DANGER} icon="disable" text="Take down" aria-label={`Take down ${e.name}`} onClick={() => setRemoving(e)} />
                  )}
                  {canHide && e.kind === "blueprint" && (
                    <Button
                      small
                      minimal
                      icon="eye-off"
                      text="Hide for this org"
                      aria-label={`Hide ${e.name} for this org`}
                      loading={hide.isPending && hide.variables.entityId === e.id}
                      onClick={() => hide.mutate({ entityId: e.id, hidden: true }, { onSuccess: () => toastSuccess(`${e.name} is hidden from this org's blueprints and plans`) })}
                    />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </HTMLTable>
      )}
      <VersionsDialog entity={viewing} onClose={() => setViewing(null)} />
      {changing && isFormKind(changing.kind) && (
        <SubmitEntityDialog orgId={orgId} kind={changing.kind} entity={changing} onClose={() => setChanging(null)} />
      )}
      {removing && <TakedownDialog entity={removing} onClose={() => setRemoving(null)} />}
    </Card>
  );
}

/** A moderator unpublishes an entity, with the reason the log keeps. */
function TakedownDialog({ entity, onClose }: { entity: Entity; onClose: () => void }) {
  const [reason, setReason] = useState("");
  const takedown = useTakedown();
  const { errors, handle, clear } = useFieldErrors();
  const onSubmit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    takedown.mutate(
      { entityId: entity.id, reason },
      { onSuccess: () => { toastSuccess(`${entity.name} is taken down: gone from public lists and new plans`); onClose(); }, onError: (error) => handle(error, ["reason"]) },
    );
  };
  return (
    <Dialog isOpen onClose={onClose} title={`Take down ${entity.name}`} icon="disable" style={{ width: 520 }}>
      <form onSubmit={onSubmit} aria-label={`Take down ${entity.name}`}>
        <DialogBody>
          <p>Running crafts and stored plans keep the version they used; new plans no longer see it.</p>
          <Field label="Reason" id="takedown-reason" error={errors.reason}>
            <TextArea id="takedown-reason" fill value={reason} onChange={(e) => setReason(e.currentTarget.value)} />
          </Field>
        </DialogBody>
        <DialogFooter actions={<><Button text="Cancel" onClick={onClose} /><Button type="submit" intent={Intent.DANGER} text="Take down" loading={takedown.isPending} disabled={reason.trim().length < 3} /></>} />
      </form>
    </Dialog>
  );
}

function statusIntent(status: string): Intent {
  if (status === "approved" || status === "merged") return Intent.SUCCESS;
  if (status === "rejected") return Intent.DANGER;
  if (status === "changes_requested") return Intent.WARNING;
  return Intent.NONE;
}

/** The caller's submissions with their status; one asked to change can be resubmitted. */
function MySubmissions({ orgId }: { orgId: string }) {
  const mine = useSubmissions("mine");
  const writable = useCan(orgId, "write");
  const [submitting, setSubmitting] = useState(false);
  const [submittingEntity, setSubmittingEntity] = useState(false);
  const [editing, setEditing] = useState<Submission | null>(null);
  const list = mine.data?.items ?? [];
  return (
    <Card>
      <div className="qm-row">
        <H4>My submissions</H4>
        {writable && <Button small icon="upload" text="Submit a blueprint" onClick={() => setSubmitting(true)} />}
        <Button small icon="add" text="Submit an item, location or tag" onClick={() => setSubmittingEntity(true)} />
      </div>
      {mine.isPending ? (
        <SkeletonRows />
      ) : list.length === 0 ? (
        <EmptyState icon="upload" title="No submission yet" next="Submit one of the org's blueprints: once a moderator approves it, every org can plan with it." />
      ) : (
        <HTMLTable compact striped className="qm-table" aria-label="My submissions">
          <thead>
            <tr><th>Submission</th><th>Kind</th><th>Status</th><th>Sent</th><th>Notes</th><th><span className="qm-sr-only">Actions</span></th></tr>
          </thead>
          <tbody>
            {list.map((s) => (
              <tr key={s.id}>
                <td>{submissionTitle(s.data, s.kind)}</td>
                <td>{s.kind}</td>
                <td><Tag minimal intent={statusIntent(s.status)}>{s.status.replace("_", " ")}</Tag></td>
                <td>{formatDateTime(s.created_at)}</td>
                <td>{(s.actions ?? []).filter((a) => a.notes).map((a) => a.notes).at(-1) ?? ""}</td>
                <td>
                  {s.status === "changes_requested" && (
                    <Button small icon="edit" text="Edit and resubmit" aria-label={`Edit and resubmit ${submissionTitle(s.data, s.kind)}`} onClick={() => setEditing(s)} />
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </HTMLTable>
      )}
      {submitting && <SubmitBlueprintDialog orgId={orgId} open onClose={() => setSubmitting(false)} />}
      {submittingEntity && <SubmitEntityDialog orgId={orgId} kind="item" onClose={() => setSubmittingEntity(false)} />}
      {editing && isFormKind(editing.kind) && <SubmitEntityDialog orgId={orgId} kind={editing.kind} editing={editing} onClose={() => setEditing(null)} />}
      {editing && editing.kind === "blueprint" && <SubmitBlueprintDialog orgId={orgId} open editing={editing} onClose={() => setEditing(null)} />}
    </Card>
  );
}

/** One pending submission: the proposal beside the published version, duplicate hints, decision. */
function Review({ sub }: { sub: Submission }) {
  const versions = useVersions(sub.entity_id ?? null);
  const current = versions.data?.find((v) => v.status === "current")?.data ?? null;
  const rows = diffRows(sub.entity_id ? current : null, sub.data, sub.labels);
  const [notes, setNotes] = useState("");
  const [mergeInto, setMergeInto] = useState("");
  const decide = useDecide();
  const { errors, handle, clear } = useFieldErrors();
  const title = submissionTitle(sub.data, sub.kind);
  const act = (action: DecisionIn["action"]) => {
    clear();
    decide.mutate(
      { id: sub.id, body: { action, notes: notes || null, merge_into: action === "merge" ? mergeInto || null : null } },
      { onSuccess: () => toastSuccess(`${title}: ${action.replace("_", " ")}`), onError: (error) => handle(error, ["notes", "merge_into"]) },
    );
  };
  const dupes = sub.duplicates as { entity_id: string; name: string; score: number }[];
  return (
    <Card className="qm-review" aria-label={`Submission ${title}`}>
      <div className="qm-row">
        <strong>{title}</strong>
        <Tag minimal>{sub.kind}</Tag>
        <Tag minimal>{sub.entity_id ? "change" : "new"}</Tag>
        <span className="qm-muted">by {sub.submitter}, {formatDateTime(sub.created_at)} — source: {sub.source_ref}</span>
      </div>
      {dupes.length > 0 && (
        <p className="qm-warning-text">Possible duplicate of {dupes.map((d) => `${d.name} (${Math.round(d.score * 100)} %)`).join(", ")}</p>
      )}
      <HTMLTable compact className="qm-table" aria-label={`Changes in ${title}`}>
        <thead>
          <tr><th>Field</th><th>Published</th><th>Proposed</th></tr>
        </thead>
        <tbody>
          {rows.map((r) => (
            <tr key={r.field} className={r.changed ? "qm-changed" : undefined}>
              <td>{r.field}</td>
              <td><code className="qm-code">{r.before}</code></td>
              <td><code className="qm-code">{r.after}</code></td>
            </tr>
          ))}
        </tbody>
      </HTMLTable>
      <Field label="Notes to the submitter" id={`notes-${sub.id}`} error={errors.notes}>
        <TextArea id={`notes-${sub.id}`} fill value={notes} onChange={(e) => setNotes(e.currentTarget.value)} />
      </Field>
      <div className="qm-row">
        <Button intent={Intent.SUCCESS} text="Approve" onClick={() => act("approve")} loading={decide.isPending} />
        <Button intent={Intent.WARNING} text="Request changes" onClick={() => act("request_changes")} />
        <Button intent={Intent.DANGER} text="Reject" onClick={() => act("reject")} />
        {dupes.length > 0 && (
          <>
            <Field label="Merge into" id={`merge-${sub.id}`} error={errors.merge_into}>
              <HTMLSelect id={`merge-${sub.id}`} value={mergeInto} onChange={(e) => setMergeInto(e.currentTarget.value)}>
                <option value="">Choose the existing entity…</option>
                {dupes.map((d) => <option key={d.entity_id} value={d.entity_id}>{d.name}</option>)}
              </HTMLSelect>
            </Field>
            <Button text="Merge" disabled={mergeInto === ""} onClick={() => act("merge")} />
          </>
        )}
      </div>
    </Card>
  );
}

/** Pending submissions, oldest first, kept live by the commons socket; shown only to
 * curators and moderators. */
function ModerationQueue() {
  const queue = useSubmissions("queue", "pending");
  if (isForbidden(queue.error)) return null;
  const list = queue.data?.items ?? [];
  return (
    <Card>
      <H4>Moderation queue</H4>
      {queue.isPending ? (
        <SkeletonRows />
      ) : list.length === 0 ? (
        <EmptyState icon="tick-circle" title="Nothing to review" next="New submissions appear here, oldest first." />
      ) : (
        list.map((s) => <Review key={s.id} sub={s} />)
      )}
    </Card>
  );
}

export default function CommonsPage() {
  const orgId = useOrgId();
  useCommonsFeed();
  // The queue answers 403 to anyone but curators and moderators: that is the role check.
  const queue = useSubmissions("queue", "pending");
  const moderator = queue.isSuccess;
  return (
    <div className="qm-page">
      <PageHeader title="Commons" />
      <p className="qm-muted">Public items, blueprints, locations and tags every org shares. Nothing becomes public without a moderator's review.</p>
      <ModerationQueue />
      <MySubmissions orgId={orgId} />
      <BrowsePanel orgId={orgId} moderator={moderator} />
    </div>
  );
}
