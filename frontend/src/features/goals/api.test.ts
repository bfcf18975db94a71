import { describe, expect, it } from "vitest";
import { targetShares } from "./api";

const target = { item_id: "i", quantity: 10, min_quality: 0, free: 0, reserved: 0, have: 0, remaining: 0, progress: 0, met: false };

describe("goal progress bars", () => {
  it("shows free stock and crafts under way apart, never past the target", () => {
    expect(targetShares({ ...target, in_stock: 4, in_crafts: 3 })).toEqual({ stock: 0.4, crafts: 0.3 });
    const over = targetShares({ ...target, in_stock: 8, in_crafts: 5 });
    expect(over.stock).toBe(0.8);
    expect(over.crafts).toBeCloseTo(0.2, 10);
    expect(targetShares({ ...target, in_stock: 12, in_crafts: 0 })).toEqual({ stock: 1, crafts: 0 });
  });
});
