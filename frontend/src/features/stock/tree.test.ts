import { describe, expect, it } from "vitest";
import type { Item, Location } from "@/lib/lookups";
import type { StockRow } from "./api";
import { buildTree, matchesSearch, rowActions, sortStockRows, subtreeIds } from "./tree";

function loc(id: string, parent: string | null, owner: Location["owner"] = "universe"): Location {
  return { id, name: id, kind: "station", parent_id: parent, owner, path: id };
}

function item(id: string, unit: string, volume: string | null, aliases: string[] = []): Item {
  return { id, name: id, unit, volume_scu: volume, category: "x", shared: true, aliases: aliases.map((a) => ({ id: a, alias: a })) };
}

function row(id: string, item_id: string, location_id: string, quantity: string): StockRow {
  return {
    id, item_id, location_id, quantity, quality: 500, organization_id: "o", owner_user_id: null, shared_with_org_id: null,
    reserved: "0", available: quantity, version: 0, updated_at: "",
  };
}

const locations = [loc("stanton", null), loc("area18", "stanton"), loc("hangar", "area18", "org"), loc("grid", "hangar", "org"), loc("pyro", null)];
const items = new Map([
  ["ore", item("ore", "scu", "1")],
  ["rifle", item("rifle", "piece", "0.25", ["P4"])],
]);

describe("location tree", () => {
  it("sums cargo volume over each subtree and prunes empty universe branches", () => {
    const tree = buildTree(locations, [row("a", "ore", "hangar", "10"), row("b", "rifle", "grid", "8")], items);
    expect(tree.map((n) => n.location.id)).toEqual(["stanton"]);
    const stanton = tree[0]!;
    expect(stanton.volume).toBe(12); // 10 SCU ore + 8 rifles × 0.25 SCU
    expect(stanton.rows).toBe(2);
    const hangar = stanton.children[0]!.children[0]!;
    expect(hangar.location.id).toBe("hangar");
    expect(hangar.children[0]!.volume).toBe(2);
  });

  it("finds a location and everything below it", () => {
    expect([...subtreeIds(locations, "area18")].sort()).toEqual(["area18", "grid", "hangar"]);
  });

  it("searches by name, code and alias, case-insensitively", () => {
    expect(matchesSearch(items.get("rifle"), "p4")).toBe(true);
    expect(matchesSearch(items.get("rifle"), "ORE")).toBe(false);
    expect(matchesSearch(items.get("ore"), "")).toBe(true);
  });
});

describe("sortStockRows", () => {
  it("orders by item name, then location path, then best quality first", () => {
    const named = (id: string, name: string, path: string, quality: number): StockRow => ({
      ...row(id, name, path, "1"), item_name: name, location_path: path, quality,
    });
    const rows = [
      named("1", "Tungsten", "Stanton › Hurston › Lorville", 500),
      named("2", "Agricium", "Stanton › microTech › New Babbage", 500),
      named("3", "Agricium", "Stanton › ArcCorp › Area18", 300),
      named("4", "Agricium", "Stanton › ArcCorp › Area18", 800),
      named("5", "agricium ore", "Pyro", 500),
    ];
    expect(sortStockRows(rows).map((r) => r.id)).toEqual(["4", "3", "2", "5", "1"]);
    expect(rows.map((r) => r.id)).toEqual(["1", "2", "3", "4", "5"]);
  });
});

describe("rowActions", () => {
  const org = row("o1", "i", "l", "5");
  const mine = { ...row("p1", "i", "l", "5"), organization_id: null, owner_user_id: "me" };
  it("reserves org rows with something available, never a member's unshared row", () => {
    expect(rowActions(org, "me")).toEqual({ reserve: true, share: false, withdraw: false });
    expect(rowActions({ ...org, available: "0" }, "me").reserve).toBe(false);
    expect(rowActions(mine, "me")).toEqual({ reserve: false, share: true, withdraw: false });
  });
  it("offers withdraw only on my own shared rows", () => {
    const shared = { ...mine, shared_with_org_id: "o" };
    expect(rowActions(shared, "me")).toEqual({ reserve: true, share: false, withdraw: true });
    expect(rowActions(shared, "someone-else")).toEqual({ reserve: true, share: false, withdraw: false });
    expect(rowActions(shared, undefined).withdraw).toBe(false);
  });
});
