// Pure helpers of the analytics page (tested in data.test.ts).
import type { BlueprintStat, WeekPoint } from "./api";

export type StatKey = "name" | "crafts" | "runs" | "success_rate" | "mean_craft_minutes";

/** Blueprint statistics sorted by one column; unknown values (null) last whatever the order. */
export function sortStats(rows: BlueprintStat[], key: StatKey, descending: boolean): BlueprintStat[] {
  const sign = descending ? -1 : 1;
  return [...rows].sort((a, b) => {
    const x = a[key];
    const y = b[key];
    if (x === null || y === null) return x === y ? 0 : x === null ? 1 : -1;
    if (typeof x === "string" && typeof y === "string") return sign * x.localeCompare(y);
    return sign * (Number(x) - Number(y)) || a.name.localeCompare(b.name);
  });
}

/** Whether the window holds anything worth charting. */
export function hasActivity(weeks: WeekPoint[]): boolean {
  return weeks.some((w) => (w.crafts_completed ?? 0) + (w.goals_completed ?? 0) + (w.plans_solved ?? 0) + (w.usage_events ?? 0) > 0);
}

/** Savings summed over the window, or null when no plan carried a baseline. */
export function totalSavings(weeks: WeekPoint[]): number | null {
  const known = weeks.filter((w) => w.plan_savings !== null && w.plan_savings !== undefined);
  return known.length === 0 ? null : known.reduce((sum, w) => sum + (w.plan_savings ?? 0), 0);
}
