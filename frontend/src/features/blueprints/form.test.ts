import { describe, expect, it } from "vitest";
import type { BlueprintOut } from "@/lib/lookups";
import { bodyOf, draftOf, emptyIngredient, fieldsOf } from "./form";

const bp: BlueprintOut = {
  id: "b1",
  name: "Pod from ore",
  code: null,
  description: null,
  kind: "craft",
  output_item_id: "pod",
  output_quantity: 1,
  minutes: 2,
  run_cost: 0,
  is_public: false,
  organization_id: "org",
  ingredients: [
    { position: 1, item_id: "iron", quantity: 2, min_quality: 300 },
    { position: 0, item_id: "gold", quantity: 5, min_quality: 0 },
  ],
  created_at: "2026-01-01T00:00:00Z",
  updated_at: "2026-01-01T00:00:00Z",
};

describe("blueprint form", () => {
  it("round-trips an existing blueprint, ingredients in their order", () => {
    expect(bodyOf(draftOf(bp))).toEqual({
      name: "Pod from ore",
      kind: "craft",
      output_item_id: "pod",
      output_quantity: "1",
      minutes: "2",
      run_cost: "0",
      ingredients: [
        { item_id: "gold", quantity: "5", min_quality: "0" },
        { item_id: "iron", quantity: "2", min_quality: "300" },
      ],
    });
  });

  it("sends every row, empty ones too, as typed for the API to judge", () => {
    const draft = { ...draftOf(null), name: "X", output_item_id: "out", output_quantity: "abc", ingredients: [{ item_id: "a", quantity: "-1", min_quality: "" }, emptyIngredient()] };
    const body = bodyOf(draft);
    expect(body.output_quantity).toBe("abc");
    expect(body.ingredients).toEqual([
      { item_id: "a", quantity: "-1", min_quality: 0 },
      { item_id: "", quantity: 0, min_quality: "0" },
    ]);
  });

  it("names a field for every ingredient row", () => {
    const fields = fieldsOf({ ...draftOf(null), ingredients: [emptyIngredient(), emptyIngredient()] });
    expect(fields).toContain("ingredients.1.quantity");
    expect(fields).toContain("output_item_id");
  });
});
