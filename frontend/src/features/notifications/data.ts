// Pure helpers of the notification screens (tested in data.test.ts).
import type { Kind, Notification } from "./api";

/** What each kind means, as the preferences list says it. */
export const KIND_LABELS: Record<Kind, string> = {
  "craft.done": "A craft of yours is done",
  "plan.done": "A plan you asked for is solved",
  "plan.failed": "A plan you asked for failed",
  "goal.completed": "A goal you created is completed",
  "commons.decision": "A moderator decided on your commons submission",
  "stock.low": "A watched item's stock fell below its threshold",
  "goal.due_soon": "A goal you created is due soon",
};

/** Where a notification leads in the app: the record it is about, in its org. */
export function notificationLink(n: Notification): string | null {
  const org = n.organization_id;
  const data = n.data as Record<string, unknown>;
  if (n.kind === "commons.decision") return org ? `/orgs/${org}/commons` : null;
  if (!org) return null;
  if (typeof data.plan_id === "string") return `/orgs/${org}/plans/${data.plan_id}`;
  if (typeof data.craft_id === "string") return `/orgs/${org}/crafts`;
  if (typeof data.goal_id === "string") return `/orgs/${org}/goals`;
  if (n.kind === "stock.low") return `/orgs/${org}/inventory`;
  return `/orgs/${org}`;
}

/** The bell's badge: nothing at zero, "99+" past 99. */
export function badge(unread: number): string | null {
  if (unread <= 0) return null;
  return unread > 99 ? "99+" : String(unread);
}
