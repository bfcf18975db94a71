import { describe, expect, it } from "vitest";
import { optimalityBadge, shoppingList, type Explanation, type Supply } from "./types";

function market(item: string, holder: string, quantity: number, unit: number): Supply {
  return {
    kind: "source", item, quantity, cost: quantity * unit, source: `market:${holder}`, tier: "market", holder, location: `loc-${holder}`,
    quality: 500, unit_cost: unit, blueprint: null, runs: null, total_runs: null, ingredients: [],
  };
}

describe("plan reading", () => {
  it("groups market purchases by terminal, including those deep in a craft, biggest spend first", () => {
    const craft: Supply = {
      kind: "craft", item: "rifle", quantity: 1, cost: 0, source: null, tier: null, holder: null, location: null, quality: null,
      unit_cost: null, blueprint: "bp", runs: 1, total_runs: 1,
      ingredients: [{ index: 0, item: "alu", quantity: 2, min_quality: 0, supplies: [market("alu", "TDD", 2, 100)] }],
    };
    const explanation = {
      demands: [
        { demand: "d0", item: "rifle", quantity: 1, min_quality: 0, allocated: 1, shortfall: 0, cost: 0, supplies: [craft], short_raw: [] },
        { demand: "d1", item: "alu", quantity: 3, min_quality: 0, allocated: 3, shortfall: 0, cost: 0, supplies: [market("alu", "TDD", 3, 100), market("gold", "CBD", 1, 50)], short_raw: [] },
      ],
    } as unknown as Explanation;
    const list = shoppingList(explanation);
    expect(list.map((g) => [g.terminal, g.total])).toEqual([["TDD", 500], ["CBD", 50]]);
    expect(list[0]!.lines).toEqual([{ item: "alu", quantity: 5, unitCost: 100, cost: 500 }]);
  });

  it("calls a plan proven optimal only when the solver proved it", () => {
    expect(optimalityBadge({ status: "optimal", stats: { solver: "x", gap: 0, solve_seconds: 0, build_seconds: 0 } })).toEqual({ text: "Proven optimal", proven: true });
    expect(optimalityBadge({ status: "feasible", stats: { solver: "x", gap: 0.012, solve_seconds: 0, build_seconds: 0 } }).text).toBe("Within 1.2 % of optimal");
  });
});
