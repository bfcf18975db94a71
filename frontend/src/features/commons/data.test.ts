import { describe, expect, it } from "vitest";
import type { BlueprintOut } from "@/lib/lookups";
import { blueprintSubmissionData, diffRows, entityFormValues, entitySubmissionData, isFormKind, submissionTitle } from "./data";

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

describe("commons data", () => {
  it("submits a blueprint's recipe in ingredient order, without the org's ids or flags", () => {
    const data = blueprintSubmissionData(bp);
    expect(data).toEqual({
      name: "Pod from ore",
      kind: "craft",
      output_item_id: "pod",
      output_quantity: 1,
      minutes: 2,
      run_cost: 0,
      ingredients: [
        { item_id: "gold", quantity: 5, min_quality: 0 },
        { item_id: "iron", quantity: 2, min_quality: 300 },
      ],
    });
    expect(data).not.toHaveProperty("is_public");
    expect(data).not.toHaveProperty("organization_id");
  });

  it("diffs a proposal against the published version field by field", () => {
    const rows = diffRows({ name: "Quant", unit: "scu" }, { name: "Quantainium", unit: "scu", aliases: ["QUAN"] });
    expect(rows).toEqual([
      { field: "aliases", before: "—", after: '["QUAN"]', changed: true },
      { field: "name", before: "Quant", after: "Quantainium", changed: true },
      { field: "unit", before: "scu", after: "scu", changed: false },
    ]);
  });

  it("shows ids the server labelled by their names, inside nested values too", () => {
    const quant = "1c2d3e4f-5a6b-4c7d-8e9f-0a1b2c3d4e5f";
    const unknown = "2d3e4f5a-6b7c-4d8e-9f0a-1b2c3d4e5f6a";
    const rows = diffRows(null, { output_item_id: quant, ingredients: [{ item_id: unknown }] }, { [quant]: "Quantanium" });
    expect(rows.map((r) => r.after)).toEqual([`[{"item_id":"${unknown}"}]`, "Quantanium"]);
    const nested = diffRows(null, { ingredients: [{ item_id: quant, quantity: 2 }] }, { [quant]: "Quantanium" });
    expect(nested[0]?.after).toBe('[{"item_id":"Quantanium","quantity":2}]');
  });

  it("marks nothing as changed for a new entity", () => {
    expect(diffRows(null, { name: "X" })).toEqual([{ field: "name", before: "—", after: "X", changed: false }]);
  });

  it("names a submission by its data", () => {
    expect(submissionTitle({ name: "Gold" }, "item")).toBe("Gold");
    expect(submissionTitle({}, "tag")).toBe("tag (unnamed)");
  });

  it("builds an item's submission from the form: blanks dropped, aliases split, volume a number", () => {
    expect(entitySubmissionData("item", { name: " Quantanium ", unit: "scu", volume_scu: "1", aliases: "Quant, QUAN,, ", category: "" })).toEqual({
      name: "Quantanium",
      unit: "scu",
      volume_scu: 1,
      aliases: ["Quant", "QUAN"],
    });
    expect(entitySubmissionData("tag", { name: "mining", unit: "scu" })).toEqual({ name: "mining" });
  });

  it("fills the change form from a published version and round-trips it", () => {
    const data = { name: "Everus Harbor", kind: "station", parent_id: "p1", aliases: ["Everus"], extra: 1 };
    const values = entityFormValues("location", data);
    expect(values).toEqual({ name: "Everus Harbor", kind: "station", parent_id: "p1", aliases: "Everus" });
    expect(entitySubmissionData("location", values)).toEqual({ name: "Everus Harbor", kind: "station", parent_id: "p1", aliases: ["Everus"] });
  });

  it("sends blueprints through the blueprint form, the rest through the entity form", () => {
    expect(["item", "location", "tag", "blueprint"].filter(isFormKind)).toEqual(["item", "location", "tag"]);
  });
});
