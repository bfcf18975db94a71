// The org's WebSocket (/api/v1/orgs/{org}/live) feeds the TanStack Query cache: a plan's status
// and an import job's progress are written straight into their cached records, other events
// invalidate the domains they touch.
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { accessToken } from "@/lib/auth/session";
import { orgKey, type Domain } from "@/lib/queryKeys";

export interface LiveEvent {
  type: string;
  [key: string]: unknown;
}

export type LiveState = "connecting" | "live" | "offline";

const TOUCHES: Record<string, Domain[]> = {
  "stock.changed": ["stock", "history", "goals", "reservations", "ships"],
  "craft.status": ["crafts", "stock", "history", "goals", "reservations"],
  "plan.applied": ["plans", "crafts", "stock", "history", "goals", "reservations"],
  "plan.variant": ["plans"],
  "plan.status": ["plans"],
  // A background import's end: its job is re-read (the report comes with it).
  "import.done": ["imports"],
  "import.failed": ["imports"],
};

/** Apply one event to the cache (exported for tests). */
export function applyLiveEvent(client: QueryClient, orgId: string, event: LiveEvent): void {
  if (event.type === "plan.status" && typeof event.plan_id === "string") {
    const status = event.status;
    client.setQueryData(orgKey(orgId, "plans", "detail", event.plan_id), (old: unknown) =>
      old && typeof old === "object" ? { ...old, status } : old,
    );
  }
  if (event.type === "import.progress" && typeof event.job_id === "string") {
    const { phase, rows_done, rows_total } = event;
    client.setQueryData(orgKey(orgId, "imports", event.job_id), (old: unknown) =>
      old && typeof old === "object" ? { ...old, status: "running", phase, rows_done, rows_total } : old,
    );
  }
  for (const domain of TOUCHES[event.type] ?? []) {
    void client.invalidateQueries({ queryKey: orgKey(orgId, domain) });
  }
}

function socketUrl(path: string): string {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}${path}`;
}

/** Keep one authenticated socket on `path` open while mounted (reconnecting with backoff),
 * handing every event but the greeting to `onEvent`; `onHello` runs on each (re)connect. */
function useSocket(
  path: string | undefined,
  onEvent: (event: LiveEvent) => void,
  onHello: (hello: LiveEvent) => void,
): LiveState {
  const [state, setState] = useState<LiveState>("connecting");
  const handlers = useRef({ onEvent, onHello });
  handlers.current = { onEvent, onHello };

  useEffect(() => {
    if (!path) return;
    let socket: WebSocket | null = null;
    let closed = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const connect = async () => {
      const token = await accessToken();
      if (closed || !token) return;
      setState("connecting");
      socket = new WebSocket(socketUrl(path));
      // The token goes in the first message, not the URL, to keep it out of access logs.
      socket.onopen = () => socket?.send(JSON.stringify({ token }));
      socket.onmessage = (message) => {
        let event: LiveEvent;
        try {
          event = JSON.parse(String(message.data)) as LiveEvent;
        } catch {
          return;
        }
        if (event.type === "hello") {
          attempt = 0;
          setState("live");
          handlers.current.onHello(event);
          return;
        }
        handlers.current.onEvent(event);
      };
      socket.onclose = () => {
        if (closed) return;
        setState("offline");
        attempt += 1;
        timer = setTimeout(() => void connect(), Math.min(30_000, 500 * 2 ** attempt));
      };
    };
    void connect();
    return () => {
      closed = true;
      if (timer) clearTimeout(timer);
      socket?.close();
    };
  }, [path]);

  return state;
}

/** Keep one socket open for the org while mounted; reconnects with backoff. */
export function useLiveFeed(orgId: string | undefined): LiveState {
  const client = useQueryClient();
  return useSocket(
    orgId ? `/api/v1/orgs/${orgId}/live` : undefined,
    (event) => orgId && applyLiveEvent(client, orgId, event),
    // Anything missed while disconnected is re-read once.
    () => void client.invalidateQueries({ queryKey: ["org", orgId] }),
  );
}

/** Apply one commons event (a submission, decision or takedown) to the cache: the commons
 * lists are re-read (exported for tests). */
export function applyCommonsEvent(client: QueryClient, event: LiveEvent): void {
  if (event.type.startsWith("commons.")) void client.invalidateQueries({ queryKey: ["commons"] });
}

/** The commons socket (/api/v1/commons/live): the moderation queue for curators and
 * moderators, decisions on the caller's own submissions for everyone. */
export function useCommonsFeed(): LiveState {
  const client = useQueryClient();
  return useSocket(
    "/api/v1/commons/live",
    (event) => applyCommonsEvent(client, event),
    () => void client.invalidateQueries({ queryKey: ["commons"] }),
  );
}

/** The caller's own socket (/api/v1/users/me/live): `notification.new` re-reads the
 * notification queries (the bell's count, the inbox); a reconnect re-reads them once. */
export function useNoticeFeed(): LiveState {
  const client = useQueryClient();
  const reread = () => void client.invalidateQueries({ queryKey: ["notifications"] });
  return useSocket(
    "/api/v1/users/me/live",
    (event) => {
      if (event.type === "notification.new") reread();
    },
    reread,
  );
}
