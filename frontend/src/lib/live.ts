// The org's WebSocket (/api/v1/orgs/{org}/live) feeds the TanStack Query cache: a plan's status
// is written straight into its cached record, other events invalidate the domains they touch.
import { useQueryClient, type QueryClient } from "@tanstack/react-query";
import { useEffect, useState } from "react";
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
};

/** Apply one event to the cache (exported for tests). */
export function applyLiveEvent(client: QueryClient, orgId: string, event: LiveEvent): void {
  if (event.type === "plan.status" && typeof event.plan_id === "string") {
    const status = event.status;
    client.setQueryData(orgKey(orgId, "plans", "detail", event.plan_id), (old: unknown) =>
      old && typeof old === "object" ? { ...old, status } : old,
    );
  }
  for (const domain of TOUCHES[event.type] ?? []) {
    void client.invalidateQueries({ queryKey: orgKey(orgId, domain) });
  }
}

function liveUrl(orgId: string): string {
  const scheme = window.location.protocol === "https:" ? "wss" : "ws";
  return `${scheme}://${window.location.host}/api/v1/orgs/${orgId}/live`;
}

/** Keep one socket open for the org while mounted; reconnects with backoff. */
export function useLiveFeed(orgId: string | undefined): LiveState {
  const client = useQueryClient();
  const [state, setState] = useState<LiveState>("connecting");

  useEffect(() => {
    if (!orgId) return;
    let socket: WebSocket | null = null;
    let closed = false;
    let attempt = 0;
    let timer: ReturnType<typeof setTimeout> | undefined;

    const connect = async () => {
      const token = await accessToken();
      if (closed || !token) return;
      setState("connecting");
      socket = new WebSocket(liveUrl(orgId));
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
          // Anything missed while disconnected is re-read once.
          void client.invalidateQueries({ queryKey: ["org", orgId] });
          return;
        }
        applyLiveEvent(client, orgId, event);
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
  }, [orgId, client]);

  return state;
}
