// The notification centre (docs/notifications.md): the caller's own notifications, the bell's
// unread count, read state and per-kind preferences. Not org data: keys live outside ["org", …].
import { keepPreviousData, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";

export type Notification = components["schemas"]["NotificationOut"];
export type Preference = components["schemas"]["PreferenceOut"];
export type Kind = Preference["kind"];
/** One kind's change: the fields sent change, the others keep their setting. */
export type PreferenceChange = components["schemas"]["PreferenceIn"];

const key = ["notifications"] as const;
// The bell has no push channel yet: it re-reads its count this often while the app is open.
export const UNREAD_POLL_MS = 60_000;

export function useUnreadCount() {
  return useQuery({
    queryKey: [...key, "unread-count"],
    queryFn: () => unwrap(api.GET("/api/v1/users/me/notifications/unread-count")),
    refetchInterval: UNREAD_POLL_MS,
  });
}

export function useNotifications(unreadOnly: boolean, offset: number) {
  return useQuery({
    queryKey: [...key, "list", unreadOnly, offset],
    queryFn: () => unwrap(api.GET("/api/v1/users/me/notifications", { params: { query: { unread: unreadOnly, limit: 50, offset } } })),
    placeholderData: keepPreviousData,
  });
}

export function useMarkRead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (id: string) => unwrap(api.POST("/api/v1/users/me/notifications/{notification_id}/read", { params: { path: { notification_id: id } } })),
    onSuccess: () => client.invalidateQueries({ queryKey: key }),
  });
}

export function useMarkAllRead() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: () => unwrap(api.POST("/api/v1/users/me/notifications/read-all")),
    onSuccess: () => client.invalidateQueries({ queryKey: key }),
  });
}

export function usePreferences() {
  return useQuery({
    queryKey: [...key, "preferences"],
    queryFn: () => unwrap(api.GET("/api/v1/users/me/notification-preferences")),
  });
}

export function useSetPreference() {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (change: PreferenceChange) => unwrap(api.PUT("/api/v1/users/me/notification-preferences", { body: { preferences: [change] } })),
    // The switch moves at once; the server's answer (or a re-read after an error) settles it.
    onMutate: (change: PreferenceChange) =>
      client.setQueryData<Preference[]>([...key, "preferences"], (old) =>
        old?.map((p) =>
          p.kind === change.kind ? { ...p, in_app: change.in_app ?? p.in_app, email: change.email ?? p.email } : p,
        ),
      ),
    onSuccess: (preferences) => client.setQueryData([...key, "preferences"], preferences),
    onError: () => client.invalidateQueries({ queryKey: [...key, "preferences"] }),
  });
}
