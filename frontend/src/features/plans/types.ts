// The engine's plan and explanation (docs/engine/planning-problem.md). The API passes them
// through as JSON objects, so their shape is typed here rather than by the OpenAPI schema.

export interface Supply {
  kind: "source" | "craft";
  item: string;
  quantity: number;
  cost: number;
  source: string | null;
  tier: "own" | "member" | "market" | null;
  holder: string | null;
  location: string | null;
  quality: number | null;
  unit_cost: number | null;
  blueprint: string | null;
  runs: number | null;
  total_runs: number | null;
  ingredients: { index: number; item: string; quantity: number; min_quality: number; supplies: Supply[] }[];
}

export interface DemandExplanation {
  demand: string;
  item: string;
  quantity: number;
  min_quality: number;
  allocated: number;
  shortfall: number;
  cost: number;
  supplies: Supply[];
  short_raw: { item: string; quantity: number; path?: string[] }[];
}

export interface Explanation {
  status: string;
  objective: number;
  complete: boolean;
  demands: DemandExplanation[];
  costs: { by_tier: Record<string, number>; by_location: Record<string, number>; total: number };
  trips: { location: string; trips: number; volume_scu: number; cost: number }[];
  surplus: unknown[];
}

export interface EnginePlan {
  status: string;
  objective: number;
  complete: boolean;
  costs: Record<string, number>;
  crafts: { blueprint: string; runs: number }[];
  trips: { location: string; trips: number; volume_scu: number }[];
  shortfalls: { demand?: string; item: string; quantity: number }[];
  stats: { solver: string; gap: number | null; solve_seconds: number; build_seconds: number };
}

export interface ShoppingGroup {
  terminal: string;
  location: string | null;
  lines: { item: string; quantity: number; unitCost: number; cost: number }[];
  total: number;
}

function walk(supplies: Supply[], visit: (s: Supply) => void): void {
  for (const s of supplies) {
    visit(s);
    for (const ing of s.ingredients) walk(ing.supplies, visit);
  }
}

/** Market purchases of the plan, grouped by terminal (holder), biggest spend first. */
export function shoppingList(explanation: Explanation): ShoppingGroup[] {
  const groups = new Map<string, ShoppingGroup>();
  for (const d of explanation.demands) {
    walk(d.supplies, (s) => {
      if (s.kind !== "source" || s.tier !== "market") return;
      const key = `${s.holder ?? "market"}|${s.location ?? ""}`;
      const group = groups.get(key) ?? { terminal: s.holder ?? "Market", location: s.location, lines: [], total: 0 };
      const same = group.lines.find((l) => l.item === s.item && l.unitCost === (s.unit_cost ?? 0));
      if (same) {
        same.quantity += s.quantity;
        same.cost += s.cost;
      } else {
        group.lines.push({ item: s.item, quantity: s.quantity, unitCost: s.unit_cost ?? 0, cost: s.cost });
      }
      group.total += s.cost;
      groups.set(key, group);
    });
  }
  return [...groups.values()].sort((a, b) => b.total - a.total);
}

/** "proven optimal", "within 1.2 % of optimal", … from the engine's status and gap. */
export function optimalityBadge(plan: Pick<EnginePlan, "status" | "stats">): { text: string; proven: boolean } {
  if (plan.status === "optimal") return { text: "Proven optimal", proven: true };
  const gap = plan.stats?.gap;
  if (gap !== null && gap !== undefined && Number.isFinite(gap)) {
    return { text: `Within ${(gap * 100).toFixed(1)} % of optimal`, proven: false };
  }
  return { text: plan.status, proven: false };
}
