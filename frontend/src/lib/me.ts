// The signed-in user, for features that need to know which rows are the caller's own
// (same query as the account page's, so it is fetched once).
import { useQuery } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import { meKey } from "@/lib/queryKeys";

export function useMyId(): string | undefined {
  const me = useQuery({ queryKey: meKey, queryFn: () => unwrap(api.GET("/api/v1/users/me")) });
  return me.data?.id;
}
