import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { api, unwrap } from "@/lib/api/client";
import type { components } from "@/lib/api/schema";
import { fetchAllPages, PAGE_MAX } from "@/lib/pages";
import { orgKey } from "@/lib/queryKeys";

export type Ship = components["schemas"]["ShipOut"];

export function useShips(orgId: string) {
  return useQuery({
    queryKey: orgKey(orgId, "ships"),
    queryFn: () =>
      fetchAllPages(
        (offset, limit) =>
          unwrap(api.GET("/api/v1/orgs/{org_id}/ships", { params: { path: { org_id: orgId }, query: { offset, limit } } })),
        PAGE_MAX,
      ),
  });
}

export function useShipTypes() {
  return useQuery({ queryKey: ["ship-types"], queryFn: () => unwrap(api.GET("/api/v1/ship-types")), staleTime: Infinity });
}

/** Stock in one ship's cargo grid, to show how full it is. */
export function useCargo(orgId: string, cargoLocationId: string) {
  return useQuery({
    queryKey: orgKey(orgId, "stock", "cargo", cargoLocationId),
    queryFn: () =>
      fetchAllPages(
        (offset, limit) =>
          unwrap(
            api.GET("/api/v1/orgs/{org_id}/stock", {
              params: { path: { org_id: orgId }, query: { location_id: cargoLocationId, offset, limit } },
            }),
          ),
        PAGE_MAX,
      ),
  });
}

export function useCreateShip(orgId: string) {
  const client = useQueryClient();
  return useMutation({
    mutationFn: (body: components["schemas"]["ShipCreate"]) =>
      unwrap(api.POST("/api/v1/orgs/{org_id}/ships", { params: { path: { org_id: orgId } }, body })),
    onSuccess: () => {
      void client.invalidateQueries({ queryKey: orgKey(orgId, "ships") });
      void client.invalidateQueries({ queryKey: orgKey(orgId, "locations") });
    },
  });
}
