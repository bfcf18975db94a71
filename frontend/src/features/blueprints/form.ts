// The blueprint form's state and the body it sends (tested in form.test.ts).
import type { components } from "@/lib/api/schema";
import type { BlueprintOut } from "@/lib/lookups";

export type BlueprintIn = components["schemas"]["BlueprintIn"];

export interface IngredientDraft {
  item_id: string;
  quantity: string;
  min_quality: string;
}

export interface BlueprintDraft {
  name: string;
  kind: "craft" | "refine";
  output_item_id: string;
  output_quantity: string;
  minutes: string;
  run_cost: string;
  ingredients: IngredientDraft[];
}

export const emptyIngredient = (): IngredientDraft => ({ item_id: "", quantity: "", min_quality: "0" });

/** The form's fields for a new blueprint, or for editing an existing one. */
export function draftOf(bp: BlueprintOut | null): BlueprintDraft {
  if (!bp) return { name: "", kind: "craft", output_item_id: "", output_quantity: "1", minutes: "0", run_cost: "0", ingredients: [emptyIngredient()] };
  return {
    name: bp.name,
    kind: bp.kind === "refine" ? "refine" : "craft",
    output_item_id: bp.output_item_id,
    output_quantity: String(bp.output_quantity),
    minutes: String(bp.minutes),
    run_cost: String(bp.run_cost),
    ingredients: [...bp.ingredients]
      .sort((a, b) => a.position - b.position)
      .map((i) => ({ item_id: i.item_id, quantity: String(i.quantity), min_quality: String(i.min_quality) })),
  };
}

// Numbers go to the API as typed: the API, not the browser, says what is wrong with "abc" or
// "-1", and names the field, so the message lands under the input it concerns.
const raw = (text: string, fallback: number): number => (text.trim() === "" ? fallback : (text.trim() as unknown as number));

/** The request body of a draft. Every row is sent, empty ones too, so that a 422 on
 * `ingredients.N` names the row the user sees as N. */
export function bodyOf(draft: BlueprintDraft): BlueprintIn {
  return {
    name: draft.name,
    kind: draft.kind,
    output_item_id: draft.output_item_id,
    output_quantity: raw(draft.output_quantity, 0),
    minutes: raw(draft.minutes, 0),
    run_cost: raw(draft.run_cost, 0),
    ingredients: draft.ingredients.map((i) => ({ item_id: i.item_id, quantity: raw(i.quantity, 0), min_quality: raw(i.min_quality, 0) })),
  };
}

/** Every field name a 422 on this form may name. */
export function fieldsOf(draft: BlueprintDraft): string[] {
  return [
    "name",
    "kind",
    "output_item_id",
    "output_quantity",
    "minutes",
    "run_cost",
    ...draft.ingredients.flatMap((_, i) => [`ingredients.${i}.item_id`, `ingredients.${i}.quantity`, `ingredients.${i}.min_quality`]),
    "ingredients",
  ];
}
