import { describe, expect, it } from "vitest";
import { refineryJobs, type PlanOut } from "./api";

const plan = (over: Partial<PlanOut>): PlanOut =>
  ({
    id: "11111111-2222",
    organization_id: "org",
    status: "done",
    request: { name: "Gold op" },
    plan: { crafts: [{ blueprint: "refine-gold", runs: 2.5 }, { blueprint: "pod", runs: 2 }] },
    attempts: 1,
    created_at: "2026-01-01T00:00:00Z",
    started_at: null,
    finished_at: null,
    applied_at: "2026-01-02T00:00:00Z",
    problem_url: "/p",
    ...over,
  }) as PlanOut;

describe("refinery jobs", () => {
  it("are the fractional craft lines of an applied plan", () => {
    expect(refineryJobs(plan({}))).toEqual([
      { planId: "11111111-2222", planName: "Gold op", appliedAt: "2026-01-02T00:00:00Z", blueprintId: "refine-gold", runs: 2.5 },
    ]);
  });

  it("are none for a plan not applied", () => {
    expect(refineryJobs(plan({ applied_at: null }))).toEqual([]);
  });

  it("name an unnamed plan by its id", () => {
    expect(refineryJobs(plan({ request: {} }))[0]?.planName).toBe("Plan 11111111");
  });
});
