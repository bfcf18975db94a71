import { describe, expect, it } from "vitest";
import { formatQuantity } from "./format";

describe("formatQuantity", () => {
  it("names the unit: SCU for commodities, pc/pcs for pieces", () => {
    expect(formatQuantity("12.5", "scu")).toBe("12.5 SCU");
    expect(formatQuantity("3", "piece")).toBe("3 pcs");
    expect(formatQuantity(1, "piece")).toBe("1 pc");
    expect(formatQuantity("0", "piece")).toBe("0 pcs");
    expect(formatQuantity("2")).toBe("2 SCU");
  });
});
