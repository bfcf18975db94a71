import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { CostCharts, emptyReason } from "./CostCharts";

const crafted = { by_tier: { own: 0, market: 0, crafting: 378, trips: 0 }, by_location: {}, total: 378 };

describe("CostCharts", () => {
  it("says where the cost is when no place is paid", () => {
    expect(emptyReason("location", crafted)).toBe("Nothing bought or hauled from a place: the plan's 378 aUEC is crafting.");
  });

  it("says nothing is paid when every tier is zero", () => {
    const free = { by_tier: { own: 0, crafting: 0 }, by_location: {}, total: 0 };
    expect(emptyReason("location", free)).toBe("Nothing to pay: the plan uses stock you already hold.");
    expect(emptyReason("tier", free)).toBe("Nothing to pay: the plan uses stock you already hold.");
  });

  it("names the unit in both titles and explains the empty location chart", () => {
    render(<CostCharts costs={crafted} locations={new Map()} />);
    expect(screen.getByRole("heading", { name: "Cost by tier (aUEC)" })).toBeInTheDocument();
    expect(screen.getByRole("heading", { name: "Cost by location (aUEC)" })).toBeInTheDocument();
    expect(screen.getByText(/the plan's 378 aUEC is crafting/)).toBeInTheDocument();
  });
});
