import { Button, Tag } from "@blueprintjs/core";
import { useNavigate } from "react-router";
import { useNoticeFeed } from "@/lib/live";
import { useUnreadCount } from "./api";
import { badge } from "./data";

/** The navbar's bell: the unread count, a click away from the inbox. */
export function NotificationBell() {
  const navigate = useNavigate();
  // Pushed: a new notification re-reads the count at once; the poll is the fallback.
  useNoticeFeed();
  const unread = useUnreadCount().data?.unread ?? 0;
  const shown = badge(unread);
  return (
    <Button
      minimal
      icon="notifications"
      aria-label={shown ? `Notifications, ${unread} unread` : "Notifications"}
      onClick={() => void navigate("/notifications")}
    >
      {shown && <Tag round intent="danger" data-testid="unread-count">{shown}</Tag>}
    </Button>
  );
}
