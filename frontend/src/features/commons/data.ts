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

/** The fields a user fills in to submit an item, location or tag (blueprints come from the
 * org's own recipes). */
export const ENTITY_FIELDS = {
  item: ["name", "unit", "category", "volume_scu", "description", "aliases"],
  location: ["name", "kind", "parent_id", "aliases"],
  tag: ["name", "description"],
} as const;

export type FormKind = keyof typeof ENTITY_FIELDS;

/** A submission's `data` from the form's text fields: blanks dropped, aliases split on commas,
 * the volume a number. */
export function entitySubmissionData(kind: FormKind, values: Record<string, string>): Record<string, unknown> {
  const data: Record<string, unknown> = {};
  for (const field of ENTITY_FIELDS[kind]) {
    const raw = (values[field] ?? "").trim();
    if (raw === "") continue;
    if (field === "aliases") data.aliases = raw.split(",").map((a) => a.trim()).filter((a) => a !== "");
    else if (field === "volume_scu") data.volume_scu = Number(raw);
    else data[field] = raw;
  }
  return data;
}

/** The form's text fields from a published version's data (to propose a change to it). */
export function entityFormValues(kind: FormKind, data: Record<string, unknown>): Record<string, string> {
  const values: Record<string, string> = {};
  for (const field of ENTITY_FIELDS[kind]) {
    const value = data[field];
    if (value === undefined || value === null) continue;
    values[field] = Array.isArray(value) ? value.join(", ") : String(value);
  }
  return values;
}

/** True for the kinds submitted through the entity form (not blueprints). */
export function isFormKind(kind: string): kind is FormKind {
  return Object.hasOwn(ENTITY_FIELDS, kind);
}

/** An org's own item as the starting values of a commons item submission (aliases by name). */
export function itemProposal(item: {
  name: string;
  unit: string;
  category: string;
  volume_scu?: number | string | null; // the API sends decimals as strings
  description?: string | null;
  aliases?: { alias: string }[] | null;
}): Record<string, unknown> {
  return {
    name: item.name,
    unit: item.unit,
    category: item.category,
    volume_scu: item.volume_scu ?? null,
    description: item.description ?? null,
    aliases: (item.aliases ?? []).map((a) => a.alias),
  };
}
