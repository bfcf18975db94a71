import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { orgKey } from "@/lib/queryKeys";

export type Webhook = components["schemas"]["WebhookOut"];
export type WebhookIn = components["schemas"]["WebhookIn"];
export type WebhookCreated = components["schemas"]["WebhookCreated"];
export type Delivery = components["schemas"]["DeliveryOut"];
export type DeliveryDetail = components["schemas"]["DeliveryDetail"];
export type EventType = WebhookIn["events"][number];

/** Every event an endpoint can subscribe to, with the words the UI shows (docs/webhooks.md).
 *  A Record over the generated type: an event the API adds fails type-checking until labelled. */
export const EVENT_LABELS: Record<EventType, string> = {
  "stock.changed": "Stock changed",
  "plan.done": "Plan done",
  "plan.failed": "Plan failed",
  "plan.applied": "Plan applied",
  "craft.started": "Craft started",
  "craft.completed": "Craft completed",
  "goal.completed": "Goal completed",
  "commons.decision": "Commons decision (on a submission sent for the org)",
};
export const EVENT_TYPES = Object.keys(EVENT_LABELS) as EventType[];

/** Toggle one event in a subscription, keeping the list in the canonical order. */
export function toggleEvent(events: EventType[], event: EventType): EventType[] {
  const next = events.includes(event) ? events.filter((e) => e !== event) : [...events, event];
  return EVENT_TYPES.filter((e) => next.includes(e));
}

const path = (orgId: string) => ({ params: { path: { org_id: orgId } } });
const hookPath = (orgId: string, webhookId: string) => ({ params: { path: { org_id: orgId, webhook_id: webhookId } } });

export function useWebhooks(orgId: string, enabled = true) {
  return useQuery({
    queryKey: orgKey(orgId, "webhooks", "list"),
    queryFn: () => unwrap(api.GET("/api/v1/orgs/{org_id}/webhooks", { params: { path: { org_id: orgId }, query: { limit: 100 } } })),
    enabled,
  });
}

export function useDeliveries(orgId: string, webhookId: string | null) {
  return useQuery({
    queryKey: orgKey(orgId, "webhooks", "deliveries", webhookId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/orgs/{org_id}/webhooks/{webhook_id}/deliveries", {
          params: { path: { org_id: orgId, webhook_id: webhookId ?? "" }, query: { limit: 50 } },
        }),
      ),
    enabled: webhookId !== null,
    // Deliveries move on in the background (retries): keep the log fresh while it is open.
    refetchInterval: 3000,
  });
}

export function useDelivery(orgId: string, webhookId: string, deliveryId: string | null) {
  return useQuery({
    queryKey: orgKey(orgId, "webhooks", "delivery", deliveryId),
    queryFn: () =>
      unwrap(
        api.GET("/api/v1/orgs/{org_id}/webhooks/{webhook_id}/deliveries/{delivery_id}", {
          params: { path: { org_id: orgId, webhook_id: webhookId, delivery_id: deliveryId ?? "" } },
        }),
      ),
    enabled: deliveryId !== null,
  });
}

function useWebhookMutation<A, R>(orgId: string, fn: (arg: A) => Promise<R>) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: fn,
    onSuccess: () => client.invalidateQueries({ queryKey: orgKey(orgId, "webhooks") }),
  });
}

export function useCreateWebhook(orgId: string) {
  return useWebhookMutation(orgId, (body: WebhookIn) => unwrap(api.POST("/api/v1/orgs/{org_id}/webhooks", { ...path(orgId), body })));
}

export function useSetEnabled(orgId: string) {
  return useWebhookMutation(orgId, ({ id, enabled }: { id: string; enabled: boolean }) =>
    unwrap(api.PATCH("/api/v1/orgs/{org_id}/webhooks/{webhook_id}", { ...hookPath(orgId, id), body: { enabled } })),
  );
}

export function useDeleteWebhook(orgId: string) {
  return useWebhookMutation(orgId, (id: string) => unwrap(api.DELETE("/api/v1/orgs/{org_id}/webhooks/{webhook_id}", hookPath(orgId, id))));
}

export function useRotateSecret(orgId: string) {
  return useWebhookMutation(orgId, (id: string) => unwrap(api.POST("/api/v1/orgs/{org_id}/webhooks/{webhook_id}/rotate-secret", hookPath(orgId, id))));
}

export function useSendTest(orgId: string) {
  return useWebhookMutation(orgId, (id: string) => unwrap(api.POST("/api/v1/orgs/{org_id}/webhooks/{webhook_id}/test", hookPath(orgId, id))));
}

export function useRedeliver(orgId: string) {
  return useWebhookMutation(orgId, ({ webhookId, deliveryId }: { webhookId: string; deliveryId: string }) =>
    unwrap(
      api.POST("/api/v1/orgs/{org_id}/webhooks/{webhook_id}/deliveries/{delivery_id}/redeliver", {
        params: { path: { org_id: orgId, webhook_id: webhookId, delivery_id: deliveryId } },
      }),
    ),
  );
}
