import { describe, expect, it } from "vitest";
import type { Blueprint } from "./api";
import { bomGraph } from "./bom";

const blueprint = (over: Partial<Blueprint>): Blueprint => ({
  id: "bp-1", name: "Rifle", code: null, description: null, kind: "craft",
  output_item_id: "rifle", output_quantity: 1, minutes: 5, run_cost: 0, is_public: false,
  organization_id: "org", ingredients: [], ...over,
}) as Blueprint;

describe("bomGraph", () => {
  const rifle = blueprint({
    ingredients: [
      { position: 0, item_id: "steel", quantity: 2.5, min_quality: 300 },
      { position: 1, item_id: "barrel", quantity: 2, min_quality: 0 },
    ] as Blueprint["ingredients"],
  });
  const units: Record<string, string> = { rifle: "piece", steel: "scu", barrel: "piece" };

  it("labels every edge's per-run quantity with its item's unit", () => {
    const graph = bomGraph(rifle, [rifle], (id) => id, (id) => units[id]);
    const label = (id: string) => graph.edges.find((e) => e.id === id)?.label;
    expect(label("bp:bp-1->out")).toBe("makes 1 pc");
    expect(label("bp:bp-1<-0")).toBe("2.5 SCU ≥Q300");
    expect(label("bp:bp-1<-1")).toBe("2 pcs");
    expect(graph.nodes.find((n) => n.id === "bp:bp-1")?.detail).toBe("craft · 1 pc per run · 5 min");
  });
});
