// Pure helpers of the commons screens (tested in data.test.ts).
import type { BlueprintOut } from "@/lib/lookups";

/** The submission `data` of an org blueprint: the recipe, without the org's ids and flags. */
export function blueprintSubmissionData(bp: BlueprintOut): Record<string, unknown> {
  return {
    name: bp.name,
    kind: bp.kind,
    output_item_id: bp.output_item_id,
    output_quantity: bp.output_quantity,
    minutes: bp.minutes,
    run_cost: bp.run_cost,
    ...(bp.description ? { description: bp.description } : {}),
    ingredients: [...bp.ingredients]
      .sort((a, b) => a.position - b.position)
      .map((i) => ({ item_id: i.item_id, quantity: i.quantity, min_quality: i.min_quality })),
  };
}

export interface DiffRow {
  field: string;
  before: string;
  after: string;
  changed: boolean;
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;

function show(value: unknown, labels: Record<string, string>): string {
  if (value === undefined || value === null) return "—";
  const text = typeof value === "string" ? value : JSON.stringify(value);
  // Ids the server could name read as names (the submission's `labels`); others stay ids.
  return text.replace(UUID, (id) => labels[id] ?? id);
}

/** Side-by-side rows of two data objects (the published version and the proposal), by field;
 * ids named in `labels` are shown by their names. */
export function diffRows(
  before: Record<string, unknown> | null,
  after: Record<string, unknown>,
  labels: Record<string, string> = {},
): DiffRow[] {
  const fields = [...new Set([...Object.keys(before ?? {}), ...Object.keys(after)])].sort();
  return fields.map((field) => {
    const b = show(before?.[field], labels);
    const a = show(after[field], labels);
    return { field, before: b, after: a, changed: before !== null && a !== b };
  });
}

/** A submission's display name: its data's name, or what it changes. */
export function submissionTitle(data: Record<string, unknown>, kind: string): string {
  const name = data.name;
  return typeof name === "string" && name !== "" ? name : `${kind} (unnamed)`;
}
