import { render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { Location } from "@/lib/lookups";
import { TripsCard } from "./TripsCard";

const locations = new Map<string, Location>();
const trips = [{ location: "l1", trips: 2, volume_scu: 96, cost: 1200 }];

describe("TripsCard", () => {
  it("shows how full each trip runs against the plan's ship", () => {
    render(<TripsCard trips={trips} capacity={64} locations={locations} />);
    const table = screen.getByRole("table");
    expect(within(table).getByRole("columnheader", { name: "Fill" })).toBeInTheDocument();
    // 96 SCU in 2 trips = 48 SCU per trip = 75 % of a 64 SCU hold.
    expect(within(table).getByText("75%")).toBeInTheDocument();
    expect(screen.queryByText(/Ship capacity/)).toBeNull();
  });

  it("drops the Fill column without a capacity and says how to get it", () => {
    render(<TripsCard trips={trips} capacity={null} locations={locations} />);
    expect(screen.queryByRole("columnheader", { name: "Fill" })).toBeNull();
    expect(screen.getByText(/made with a ship capacity/)).toBeInTheDocument();
  });

  it("says when no trip is needed", () => {
    render(<TripsCard trips={[]} capacity={64} locations={locations} />);
    expect(screen.getByText(/No trip needed/)).toBeInTheDocument();
    expect(screen.queryByRole("table")).toBeNull();
  });
});
