import type { BlueprintOut } from "@/lib/lookups";

export type Blueprint = BlueprintOut;
export { useBlueprintList as useBlueprints } from "@/lib/lookups";
