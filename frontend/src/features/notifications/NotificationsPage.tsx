import { Button, Card, H4, HTMLTable, Intent, Switch, Tag } from "@blueprintjs/core";
import { useState } from "react";
import { Link } from "react-router";
import { EmptyState } from "@/components/EmptyState";
import { PageHeader } from "@/components/PageHeader";
import { SkeletonRows } from "@/components/Skeleton";
import { formatDateTime } from "@/lib/format";
import { toastSuccess } from "@/lib/toast";
import { useMarkAllRead, useMarkRead, useNotifications, usePreferences, useSetPreference } from "./api";
import { KIND_LABELS, notificationLink } from "./data";

/** The caller's notifications, newest first, 50 a page. */
function NotificationList() {
  const [unreadOnly, setUnreadOnly] = useState(false);
  const [offset, setOffset] = useState(0);
  const list = useNotifications(unreadOnly, offset);
  const markRead = useMarkRead();
  const markAll = useMarkAllRead();
  const page = list.data;
  const rows = page?.items ?? [];
  return (
    <Card>
      <div className="qm-row">
        <H4>Inbox</H4>
        <Switch
          checked={unreadOnly}
          label="Unread only"
          onChange={(e) => {
            setUnreadOnly(e.currentTarget.checked);
            setOffset(0);
          }}
        />
        <Button
          small
          icon="tick"
          text="Mark all read"
          loading={markAll.isPending}
          onClick={() => markAll.mutate(undefined, { onSuccess: (r) => toastSuccess(`${r.marked} marked read`) })}
        />
      </div>
      {list.isPending ? (
        <SkeletonRows />
      ) : rows.length === 0 ? (
        <EmptyState icon="notifications" title={unreadOnly ? "Nothing unread" : "No notifications yet"} next="Finished crafts and plans, completed goals, low stock and commons decisions appear here." />
      ) : (
        <HTMLTable compact striped className="qm-table" aria-label="Notifications">
          <thead>
            <tr><th>What</th><th>When</th><th>Kind</th><th><span className="qm-sr-only">Actions</span></th></tr>
          </thead>
          <tbody>
            {rows.map((n) => {
              const link = notificationLink(n);
              return (
                <tr key={n.id} className={n.read_at ? undefined : "qm-unread"}>
                  <td>{n.read_at ? n.title : <strong>{n.title}</strong>}</td>
                  <td>{formatDateTime(n.created_at)}</td>
                  <td><Tag minimal intent={n.kind === "stock.low" || n.kind === "plan.failed" ? Intent.WARNING : Intent.NONE}>{n.kind}</Tag></td>
                  <td>
                    <div className="qm-row">
                      {link && <Link to={link} onClick={() => !n.read_at && markRead.mutate(n.id)}>Open</Link>}
                      {!n.read_at && <Button small minimal text="Mark read" aria-label={`Mark read: ${n.title}`} onClick={() => markRead.mutate(n.id)} />}
                    </div>
                  </td>
                </tr>
              );
            })}
          </tbody>
        </HTMLTable>
      )}
      {page && (page.offset > 0 || page.next_offset !== null) && (
        <div className="qm-row">
          <Button small text="Newer" disabled={page.offset === 0} onClick={() => setOffset(Math.max(0, page.offset - page.limit))} />
          <Button small text="Older" disabled={page.next_offset === null} onClick={() => setOffset(page.next_offset ?? offset)} />
          <span className="qm-muted">{page.total} in all</span>
        </div>
      )}
    </Card>
  );
}

/** Two switches per kind: in the app, and by email (where the server sends email). */
function Preferences() {
  const prefs = usePreferences();
  const set = useSetPreference();
  const emailAvailable = prefs.data?.[0]?.email_available ?? false;
  return (
    <Card>
      <H4>What to tell me</H4>
      {!prefs.isPending && !emailAvailable && (
        <p className="qm-muted">This server sends no email: the email switches are kept for when it does.</p>
      )}
      {prefs.isPending ? (
        <SkeletonRows />
      ) : (
        <HTMLTable compact className="qm-table">
          <thead>
            <tr>
              <th>Kind</th>
              <th>In the app</th>
              <th>By email</th>
            </tr>
          </thead>
          <tbody>
            {(prefs.data ?? []).map((p) => (
              <tr key={p.kind}>
                <td>{KIND_LABELS[p.kind]}</td>
                <td>
                  <Switch
                    checked={p.in_app}
                    aria-label={`${KIND_LABELS[p.kind]} in the app`}
                    onChange={(e) => set.mutate({ kind: p.kind, in_app: e.currentTarget.checked })}
                  />
                </td>
                <td>
                  <Switch
                    checked={p.email}
                    aria-label={`${KIND_LABELS[p.kind]} by email`}
                    onChange={(e) => set.mutate({ kind: p.kind, email: e.currentTarget.checked })}
                  />
                </td>
              </tr>
            ))}
          </tbody>
        </HTMLTable>
      )}
    </Card>
  );
}

export default function NotificationsPage() {
  return (
    <div className="qm-page">
      <PageHeader title="Notifications" />
      <NotificationList />
      <Preferences />
    </div>
  );
}
