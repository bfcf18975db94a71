import { Card, H4 } from "@blueprintjs/core";
import { Bar, BarChart, CartesianGrid, ResponsiveContainer, Tooltip, XAxis, YAxis } from "recharts";
import { formatAuec } from "@/lib/format";
import type { Location } from "@/lib/lookups";
import type { Explanation } from "./types";

/** Why a chart has nothing to draw: by tier, nothing costs anything; by location, the
 * plan's cost is in tiers no place is tied to (crafting runs, held stock, a shortfall). */
export function emptyReason(chart: "tier" | "location", costs: Explanation["costs"]): string {
  const paid = Object.entries(costs.by_tier).filter(([, cost]) => cost > 0).map(([tier]) => tier);
  if (chart === "tier" || paid.length === 0) return "Nothing to pay: the plan uses stock you already hold.";
  return `Nothing bought or hauled from a place: the plan's ${formatAuec(costs.total)} is ${paid.join(" and ")}.`;
}

/** The plan's cost by tier and by pickup location, in aUEC. */
export function CostCharts({ costs, locations }: { costs: Explanation["costs"]; locations: Map<string, Location> }) {
  const byTier = Object.entries(costs.by_tier).map(([tier, cost]) => ({ name: tier, cost }));
  const byLocation = Object.entries(costs.by_location)
    .map(([id, cost]) => ({ name: locations.get(id)?.name ?? id.slice(0, 8), cost }))
    .sort((a, b) => b.cost - a.cost);
  return (
    <div className="qm-grid-2">
      {[
        { title: "Cost by tier", kind: "tier" as const, data: byTier },
        { title: "Cost by location", kind: "location" as const, data: byLocation },
      ].map((chart) => (
        <Card key={chart.title} aria-label={chart.title}>
          <H4>{chart.title} (aUEC)</H4>
          {chart.data.every((d) => d.cost === 0) ? (
            // Empty axes tell nothing; say why there is nothing to draw.
            <p className="qm-muted">{emptyReason(chart.kind, costs)}</p>
          ) : (
            <ResponsiveContainer width="100%" height={180}>
              <BarChart data={chart.data}>
                <CartesianGrid strokeDasharray="3 3" opacity={0.3} />
                <XAxis dataKey="name" tick={{ fontSize: 11 }} />
                <YAxis tick={{ fontSize: 11 }} />
                <Tooltip formatter={(v) => formatAuec(Number(v))} />
                <Bar dataKey="cost" fill="#4c90f0" isAnimationActive={false} />
              </BarChart>
            </ResponsiveContainer>
          )}
        </Card>
      ))}
    </div>
  );
}
