import { Button, Callout, Card, Checkbox, Dialog, DialogBody, DialogFooter, HTMLTable, InputGroup, Intent, Tag } from "@blueprintjs/core";
import { Fragment, useState, type FormEvent } from "react";
import { ConfirmDialog } from "@/components/ConfirmDialog";
import { EmptyState } from "@/components/EmptyState";
import { Field, useFieldErrors } from "@/components/forms";
import { PageHeader } from "@/components/PageHeader";
import { SkeletonRows } from "@/components/Skeleton";
import { formatDateTime } from "@/lib/format";
import { useOrgId } from "@/lib/org";
import { can, useRole } from "@/lib/role";
import { toastError, toastSuccess } from "@/lib/toast";
import {
  EVENT_LABELS,
  EVENT_TYPES,
  toggleEvent,
  useCreateWebhook,
  useDeleteWebhook,
  useDeliveries,
  useDelivery,
  useRedeliver,
  useRotateSecret,
  useSendTest,
  useSetEnabled,
  useWebhooks,
  type Delivery,
  type EventType,
  type Webhook,
} from "./api";

const STATUS_INTENT: Record<Delivery["status"], Intent> = { pending: Intent.WARNING, delivered: Intent.SUCCESS, failed: Intent.DANGER };

/** A secret shown once (after create or rotate): copy it now, it is never shown again. */
function SecretDialog(props: { secret: string | null; onClose: () => void }) {
  return (
    <Dialog isOpen={props.secret !== null} title="Signing secret" icon="key" onClose={props.onClose}>
      <DialogBody>
        <Callout intent={Intent.WARNING}>Copy it now: it is shown this once only. Verify requests with any Standard Webhooks library.</Callout>
        <InputGroup readOnly aria-label="Signing secret" value={props.secret ?? ""} onFocus={(e) => e.currentTarget.select()} />
      </DialogBody>
      <DialogFooter actions={<Button intent={Intent.PRIMARY} text="I have stored it" onClick={props.onClose} />} />
    </Dialog>
  );
}

function CreateForm({ orgId, onCreated }: { orgId: string; onCreated: (secret: string) => void }) {
  const create = useCreateWebhook(orgId);
  const [name, setName] = useState("");
  const [url, setUrl] = useState("");
  const [events, setEvents] = useState<EventType[]>(["plan.done", "plan.failed"]);
  const { errors, handle, clear } = useFieldErrors();
  const submit = (e: FormEvent) => {
    e.preventDefault();
    clear();
    create.mutate(
      { name, url, events },
      {
        onSuccess: (created) => {
          setName("");
          setUrl("");
          onCreated(created.secret);
        },
        onError: (error) => handle(error, ["name", "url", "events"]),
      },
    );
  };
  return (
    <Card className="qm-narrow">
      <form onSubmit={submit} aria-label="New webhook endpoint">
        <Field label="Name" id="webhook-name" error={errors.name}>
          <InputGroup id="webhook-name" value={name} onValueChange={setName} />
        </Field>
        <Field label="URL" id="webhook-url" error={errors.url} help="https:// address of your receiver; private addresses are refused">
          <InputGroup id="webhook-url" value={url} onValueChange={setUrl} placeholder="https://bot.example.org/quartermaster" />
        </Field>
        <Field label="Events" id="webhook-events" error={errors.events}>
          <div id="webhook-events">
            {EVENT_TYPES.map((e) => (
              <Checkbox key={e} inline label={EVENT_LABELS[e]} checked={events.includes(e)} onChange={() => setEvents(toggleEvent(events, e))} />
            ))}
          </div>
        </Field>
        <Button type="submit" intent={Intent.PRIMARY} text="Create endpoint" loading={create.isPending} disabled={events.length === 0} />
      </form>
    </Card>
  );
}

function DeliveryAttempts({ orgId, webhookId, deliveryId }: { orgId: string; webhookId: string; deliveryId: string }) {
  const detail = useDelivery(orgId, webhookId, deliveryId);
  if (detail.isPending) return <SkeletonRows rows={2} />;
  return (
    <HTMLTable compact className="qm-table" aria-label="Attempts">
      <thead>
        <tr><th>#</th><th>At</th><th>Status</th><th>Latency</th><th>Answer or error</th></tr>
      </thead>
      <tbody>
        {(detail.data?.attempt_log ?? []).map((a) => (
          <tr key={`${a.attempt ?? 0}-${a.at}`}>
            <td>{a.attempt}</td>
            <td>{formatDateTime(a.at)}</td>
            <td><Tag minimal intent={a.success ? Intent.SUCCESS : Intent.DANGER}>{a.status_code ?? "—"}</Tag></td>
            <td>{a.latency_ms !== null ? `${a.latency_ms} ms` : "—"}</td>
            <td className="qm-muted">{a.error ?? a.response_excerpt ?? ""}</td>
          </tr>
        ))}
      </tbody>
    </HTMLTable>
  );
}

function DeliveryLog({ orgId, hook }: { orgId: string; hook: Webhook }) {
  const deliveries = useDeliveries(orgId, hook.id);
  const redeliver = useRedeliver(orgId);
  const [open, setOpen] = useState<string | null>(null);
  if (deliveries.isPending) return <SkeletonRows rows={3} />;
  const rows = deliveries.data?.items ?? [];
  if (rows.length === 0) return <p className="qm-muted">No deliveries yet. Send a test event.</p>;
  return (
    <HTMLTable compact striped className="qm-table" aria-label={`Deliveries of ${hook.name}`}>
      <thead>
        <tr><th>Event</th><th>Created</th><th>Status</th><th>Attempts</th><th>Last answer</th><th /></tr>
      </thead>
      <tbody>
        {rows.map((d) => (
          <Fragment key={d.id}>
            <tr>
              <td><code>{d.event_type}</code></td>
              <td>{formatDateTime(d.created_at)}</td>
              <td><Tag minimal intent={STATUS_INTENT[d.status]}>{d.status}</Tag></td>
              <td>{d.attempts}</td>
              <td className="qm-muted">{d.last_error ?? (d.last_status_code !== null ? `HTTP ${d.last_status_code}` : "")}</td>
              <td>
                <Button small minimal text={open === d.id ? "Hide" : "Attempts"} onClick={() => setOpen(open === d.id ? null : d.id)} />
                <Button
                  small
                  minimal
                  icon="refresh"
                  text="Redeliver"
                  disabled={!hook.enabled}
                  loading={redeliver.isPending && redeliver.variables.deliveryId === d.id}
                  onClick={() =>
                    redeliver.mutate({ webhookId: hook.id, deliveryId: d.id }, { onSuccess: () => toastSuccess("Queued for delivery"), onError: (e) => toastError(e) })
                  }
                />
              </td>
            </tr>
            {open === d.id && (
              <tr>
                <td colSpan={6}><DeliveryAttempts orgId={orgId} webhookId={hook.id} deliveryId={d.id} /></td>
              </tr>
            )}
          </Fragment>
        ))}
      </tbody>
    </HTMLTable>
  );
}

export default function WebhooksPage() {
  const orgId = useOrgId();
  const manage = can(useRole(orgId), "manage");
  const hooks = useWebhooks(orgId, manage);
  const setEnabled = useSetEnabled(orgId);
  const remove = useDeleteWebhook(orgId);
  const rotate = useRotateSecret(orgId);
  const sendTest = useSendTest(orgId);
  const [secret, setSecret] = useState<string | null>(null);
  const [selected, setSelected] = useState<string | null>(null);
  const [deleting, setDeleting] = useState<Webhook | null>(null);
  if (!manage) {
    return <EmptyState icon="lock" title="Webhooks are for admins" next="Ask an admin or owner of the organisation." />;
  }
  const list = hooks.data?.items ?? [];
  const shown = list.find((h) => h.id === selected) ?? null;
  return (
    <div className="qm-page">
      <PageHeader title="Webhooks" />
      <p className="qm-muted">Signed (Standard Webhooks) POSTs to your services when things happen in the org; retried with backoff.</p>
      {hooks.isPending ? (
        <SkeletonRows />
      ) : list.length === 0 ? (
        <EmptyState icon="send-to" title="No endpoints yet" next="Create one below: your bot hears about finished plans and crafts." />
      ) : (
        <HTMLTable compact striped className="qm-table" aria-label="Webhook endpoints">
          <thead>
            <tr><th>Name</th><th>URL</th><th>Events</th><th>State</th><th>Actions</th></tr>
          </thead>
          <tbody>
            {list.map((h) => (
              <tr key={h.id}>
                <td>{h.name}</td>
                <td><code>{h.url}</code></td>
                <td>{h.events.map((e) => <Tag key={e} minimal>{EVENT_LABELS[e as EventType] ?? e}</Tag>)}</td>
                <td>
                  {h.enabled ? <Tag minimal intent={Intent.SUCCESS}>enabled</Tag> : <Tag minimal intent={Intent.DANGER} title={h.disabled_reason ?? ""}>disabled</Tag>}
                  {h.consecutive_failures > 0 && <span className="qm-muted"> {h.consecutive_failures} failures in a row</span>}
                </td>
                <td>
                  <Button small minimal icon="list" text="Deliveries" active={selected === h.id} onClick={() => setSelected(selected === h.id ? null : h.id)} />
                  <Button small minimal icon="send-message" text="Send test" disabled={!h.enabled}
                    onClick={() => sendTest.mutate(h.id, { onSuccess: () => { setSelected(h.id); toastSuccess("Test event queued"); }, onError: (e) => toastError(e) })} />
                  <Button small minimal icon={h.enabled ? "disable" : "play"} text={h.enabled ? "Disable" : "Enable"}
                    onClick={() => setEnabled.mutate({ id: h.id, enabled: !h.enabled }, { onError: (e) => toastError(e) })} />
                  <Button small minimal icon="key" text="Rotate secret"
                    onClick={() => rotate.mutate(h.id, { onSuccess: (r) => setSecret(r.secret), onError: (e) => toastError(e) })} />
                  <Button small minimal icon="trash" intent={Intent.DANGER} aria-label={`Delete ${h.name}`} onClick={() => setDeleting(h)} />
                </td>
              </tr>
            ))}
          </tbody>
        </HTMLTable>
      )}
      {shown && <DeliveryLog orgId={orgId} hook={shown} />}
      <CreateForm orgId={orgId} onCreated={setSecret} />
      <SecretDialog secret={secret} onClose={() => setSecret(null)} />
      <ConfirmDialog
        open={deleting !== null}
        title="Delete endpoint"
        icon="trash"
        confirmText="Delete"
        loading={remove.isPending}
        onCancel={() => setDeleting(null)}
        onConfirm={() =>
          deleting !== null &&
          remove.mutate(deleting.id, {
            onSuccess: () => { toastSuccess(`${deleting.name} was deleted`); setDeleting(null); },
            onError: (e) => { toastError(e); setDeleting(null); },
          })
        }
      >
        <p>Delete {deleting?.name} with its delivery log? Its receiver hears nothing more.</p>
      </ConfirmDialog>
    </div>
  );
}
