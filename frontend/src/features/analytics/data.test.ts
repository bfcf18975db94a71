import { describe, expect, it } from "vitest";
import type { BlueprintStat, WeekPoint } from "./api";
import { hasActivity, sortStats, totalSavings } from "./data";

const stat = (name: string, crafts: number, success: number | null): BlueprintStat => ({
  blueprint_id: name,
  name,
  crafts,
  runs: crafts * 2,
  runs_completed: crafts,
  completed: crafts,
  cancelled: 0,
  success_rate: success,
  mean_craft_minutes: null,
});

const week = (over: Partial<WeekPoint>): WeekPoint => ({
  week: "2026-11-30",
  crafts_completed: 0,
  goals_completed: 0,
  plans_solved: 0,
  plan_cost: 0,
  plan_savings: null,
  usage_events: 0,
  active_users: 0,
  ...over,
});

describe("sortStats", () => {
  const rows = [stat("Beta", 3, 0.5), stat("alpha", 3, null), stat("Gamma", 9, 1)];
  it("sorts numbers either way, ties by name", () => {
    expect(sortStats(rows, "crafts", true).map((r) => r.name)).toEqual(["Gamma", "alpha", "Beta"]);
    expect(sortStats(rows, "crafts", false).map((r) => r.name)).toEqual(["alpha", "Beta", "Gamma"]);
  });
  it("keeps unknown rates last in both orders", () => {
    expect(sortStats(rows, "success_rate", true).map((r) => r.name)).toEqual(["Gamma", "Beta", "alpha"]);
    expect(sortStats(rows, "success_rate", false).map((r) => r.name)).toEqual(["Beta", "Gamma", "alpha"]);
  });
  it("sorts names as people read them", () => {
    expect(sortStats(rows, "name", false).map((r) => r.name)).toEqual(["alpha", "Beta", "Gamma"]);
  });
});

describe("weeks", () => {
  it("knows an empty window and sums only known savings", () => {
    expect(hasActivity([week({}), week({})])).toBe(false);
    expect(hasActivity([week({ plans_solved: 1 })])).toBe(true);
    expect(totalSavings([week({})])).toBeNull();
    expect(totalSavings([week({ plan_savings: 120 }), week({}), week({ plan_savings: 30.5 })])).toBe(150.5);
  });
});
