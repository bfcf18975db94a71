import { formatQuantity } from "@/lib/format";
import type { Blueprint } from "./api";

export interface BomNode {
  id: string;
  kind: "item" | "blueprint";
  label: string;
  detail: string;
}

export interface BomEdge {
  id: string;
  source: string;
  target: string;
  label: string;
}

/**
 * The bill of materials below a blueprint: item → blueprints that make it (alternatives) →
 * their ingredients (with quality floors) → … down to items no blueprint makes. Each item and
 * blueprint appears once, so shared sub-assemblies and cycles stay finite. Quantities on the
 * edges are per run, in each item's unit (SCU, or pieces).
 */
export function bomGraph(
  root: Blueprint,
  blueprints: Blueprint[],
  itemName: (id: string) => string,
  itemUnit: (id: string) => string | null | undefined = () => undefined,
): { nodes: BomNode[]; edges: BomEdge[] } {
  const amount = (quantity: number, itemId: string) => formatQuantity(quantity, itemUnit(itemId));
  const makers = new Map<string, Blueprint[]>();
  for (const bp of blueprints) makers.set(bp.output_item_id, [...(makers.get(bp.output_item_id) ?? []), bp]);
  const nodes = new Map<string, BomNode>();
  const edges: BomEdge[] = [];
  const visitBlueprint = (bp: Blueprint) => {
    const id = `bp:${bp.id}`;
    if (nodes.has(id)) return;
    nodes.set(id, { id, kind: "blueprint", label: bp.name, detail: `${bp.kind} · ${amount(bp.output_quantity, bp.output_item_id)} per run · ${bp.minutes} min` });
    edges.push({ id: `${id}->out`, source: id, target: `item:${bp.output_item_id}`, label: `makes ${amount(bp.output_quantity, bp.output_item_id)}` });
    visitItem(bp.output_item_id);
    for (const ing of bp.ingredients) {
      edges.push({
        id: `${id}<-${ing.position}`,
        source: `item:${ing.item_id}`,
        target: id,
        label: `${amount(ing.quantity, ing.item_id)}${ing.min_quality > 0 ? ` ≥Q${ing.min_quality}` : ""}`,
      });
      visitItem(ing.item_id);
      for (const alt of makers.get(ing.item_id) ?? []) visitBlueprint(alt);
    }
  };
  const visitItem = (itemId: string) => {
    const id = `item:${itemId}`;
    if (!nodes.has(id)) nodes.set(id, { id, kind: "item", label: itemName(itemId), detail: makers.has(itemId) ? "crafted or refined" : "raw / bought" });
  };
  visitBlueprint(root);
  return { nodes: [...nodes.values()], edges };
}
